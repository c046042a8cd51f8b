import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../common/auth/auth.decorators';
import { InvalidationBus } from '../common/cache/invalidation-bus';

/**
 * Liveness and readiness probes (`@nestjs/terminus`), public. `GET /healthz` always answers 200
 * `{status: "ok"}`; `GET /readyz` answers terminus' `{status, info, error, details}`: 200 when the
 * database (and Redis, with `REDIS_URL`) answers within its timeout (2 s / 1 s), else 503.
 */
@ApiTags('Health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly bus: InvalidationBus,
  ) {}

  @Get('healthz')
  @Public()
  @ApiOperation({ operationId: 'getHealth', summary: 'Liveness: the process is up' })
  @ApiOkResponse({ schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'], example: 'ok' } } } })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Public()
  @HealthCheck()
  @ApiOperation({ operationId: 'getReadiness', summary: 'Readiness: the database answers, and Redis when REDIS_URL is set (503 when not)' })
  readyz(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [() => this.database.pingCheck('database', { timeout: 2000 })];
    if (this.bus.redis) checks.push(() => this.redisCheck());
    return this.health.check(checks);
  }

  /** PING through the invalidation bus's Redis connection, within 1 s. */
  private async redisCheck(): Promise<HealthIndicatorResult<'redis'>> {
    const session = this.indicators.check('redis');
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout after 1000 ms')), 1000);
      });
      await Promise.race([this.bus.redis!.ping(), timeout]);
      return session.up();
    } catch (error) {
      return session.down({ message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}
