import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { BearerCredential, Public, SSO_JWT_SCHEME } from '../common/auth/auth.decorators';
import { ack, SsoLoginResponseDto } from './dto/sso-app-response.dto';
import { SSO_LOGINS_PER_MINUTE, SsoLoginLimitsGuard } from './sso-login-limits.guard';
import { SsoLoginService } from './sso-login.service';

/**
 * The SSO login: an external system's JWT, in the app's `token_name` query parameter
 * or as `Authorization: Bearer <jwt>`, becomes a session token. Public for the global guard;
 * {@link SSO_LOGINS_PER_MINUTE} attempts a minute per client address. Its answers are never cached
 * and send no Referer (security-headers.ts sets both for every `/sso/` answer).
 */
@ApiTags('SSO Token Apps')
@Public()
@UseGuards(SsoLoginLimitsGuard)
@ApiTooManyRequestsResponse({ description: `more than ${SSO_LOGINS_PER_MINUTE} attempts a minute from one address (Retry-After says when to try again)` })
@Controller('sso')
export class SsoLoginController {
  constructor(private readonly login: SsoLoginService) {}

  @Get(':name')
  @ApiOperation({ operationId: 'ssoLogin', summary: "Log in with a JWT in the app's token_name query parameter (default `token`)" })
  @ApiParam({ name: 'name', example: 'ERP', description: 'the token app' })
  @ApiQuery({
    name: 'token',
    required: false,
    schema: { type: 'string' },
    description:
      "the JWT signed for the user (generate gives one), each usable once; an app whose token_name is not `token` reads it from the parameter of that name",
  })
  @ApiOkResponse({ type: SsoLoginResponseDto })
  @ApiUnauthorizedResponse({ description: 'missing, malformed, forged, expired, too old, replayed token, wrong iss/aud' })
  @ApiForbiddenResponse({ description: 'disabled app or user; unknown user when the app does not create users' })
  @ApiNotFoundResponse({ description: 'unknown SSO app' })
  async byQuery(
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
  ): Promise<SsoLoginResponseDto> {
    const data = await this.login.login(name, { kind: 'query', query });
    return ack({ data });
  }

  @Post(':name')
  @HttpCode(200)
  @ApiSecurity(SSO_JWT_SCHEME)
  @ApiOperation({ operationId: 'ssoLoginWithBearer', summary: 'Log in with Authorization: Bearer <jwt>' })
  @ApiParam({ name: 'name', example: 'ERP', description: 'the token app' })
  @ApiOkResponse({ type: SsoLoginResponseDto })
  @ApiUnauthorizedResponse({ description: 'missing, malformed, forged, expired, too old, replayed token, wrong iss/aud' })
  @ApiForbiddenResponse({ description: 'disabled app or user; unknown user when the app does not create users' })
  @ApiNotFoundResponse({ description: 'unknown SSO app' })
  async byHeader(
    @Param('name') name: string,
    @BearerCredential() jwt: string | undefined,
  ): Promise<SsoLoginResponseDto> {
    const data = await this.login.login(name, { kind: 'header', value: jwt });
    return ack({ data });
  }
}
