import { Controller, Get, Headers, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/auth/auth.decorators';
import { extractBearerToken } from '../common/auth/bearer-token';
import { secretsEqual } from '../common/crypto/secrets-equal';
import { EnvironmentVariables } from '../config/env.validation';
import { MetricsService } from './metrics.service';

/**
 * `GET /metrics` in Prometheus' text format, for a scraper holding `METRICS_TOKEN` as its bearer
 * token; off (404) when `METRICS_TOKEN` is unset. Not in the OpenAPI document (not a client's API).
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly token?: string;

  constructor(
    private readonly metrics: MetricsService,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    const token = config.get('METRICS_TOKEN', { infer: true });
    this.token = token || undefined;
  }

  /** @throws NotFoundException (404) metrics off; UnauthorizedException (401) not the scraper's token */
  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    if (!this.token) throw new NotFoundException('metrics are off: set METRICS_TOKEN to serve them');
    if (!secretsEqual(extractBearerToken(authorization) ?? '', this.token)) throw new UnauthorizedException('send Authorization: Bearer <METRICS_TOKEN>');
    res.setHeader('content-type', this.metrics.registry.contentType);
    res.send(await this.metrics.scrape());
  }
}
