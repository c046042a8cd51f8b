import { Controller, Get, Headers, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { BEARER_SCHEME, Public } from '../common/auth/auth.decorators';
import { extractBearerToken } from '../common/auth/bearer-token';
import { ack, SsoLoginResponseDto } from './dto/sso-app-response.dto';
import { SSO_LOGINS_PER_MINUTE, SsoLoginLimitsGuard } from './sso-login-limits.guard';
import { SsoLoginService } from './sso-login.service';

/** No caching of the answer (it holds a session token) and no Referer leaking the JWT URL. */
function setNoStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * The SSO login (issue 6): an external system's JWT, in the app's `token_name` query parameter
 * or as `Authorization: Bearer <jwt>`, becomes a session token. Public for the global guard;
 * {@link SSO_LOGINS_PER_MINUTE} attempts a minute per client address.
 */
@ApiTags('SSO Token Apps')
@Public()
@UseGuards(SsoLoginLimitsGuard)
@ApiTooManyRequestsResponse({ description: `more than ${SSO_LOGINS_PER_MINUTE} attempts a minute from one address (Retry-After says when to try again)` })
@Controller('sso')
export class SsoLoginController {
  constructor(private readonly login: SsoLoginService) {}

  @Get(':name')
  @ApiOperation({ summary: "Log in with a JWT in the app's token_name query parameter (default `token`)" })
  @ApiParam({ name: 'name', example: 'ERP' })
  @ApiOkResponse({ type: SsoLoginResponseDto })
  @ApiUnauthorizedResponse({ description: 'missing, malformed, forged, expired, too old, replayed token, wrong iss/aud' })
  @ApiForbiddenResponse({ description: 'disabled app or user; unknown user when the app does not create users' })
  async byQuery(
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SsoLoginResponseDto> {
    setNoStore(res);
    const data = await this.login.login(name, { kind: 'query', query });
    return ack({ data });
  }

  @Post(':name')
  @HttpCode(200)
  @ApiBearerAuth(BEARER_SCHEME)
  @ApiOperation({ summary: 'Log in with Authorization: Bearer <jwt>' })
  @ApiParam({ name: 'name', example: 'ERP' })
  @ApiOkResponse({ type: SsoLoginResponseDto })
  @ApiUnauthorizedResponse({ description: 'missing, malformed, forged, expired, too old, replayed token, wrong iss/aud' })
  @ApiForbiddenResponse({ description: 'disabled app or user; unknown user when the app does not create users' })
  async byHeader(
    @Param('name') name: string,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SsoLoginResponseDto> {
    setNoStore(res);
    const data = await this.login.login(name, { kind: 'header', value: extractBearerToken(authorization) });
    return ack({ data });
  }
}
