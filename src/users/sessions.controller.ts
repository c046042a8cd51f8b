import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Authenticated, CurrentUser, Public } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { LoginDto } from './dto/login.dto';
import { LOGIN_ATTEMPTS_PER_ACCOUNT, LOGIN_ATTEMPTS_PER_MINUTE, LoginLimitsGuard } from './login-limits.guard';
import { SessionResponseDto } from './dto/session-response.dto';
import { MessageResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

/** Session login and logout under `/1/`. Bare objects; errors `{message}`. */
@ApiTags('Users')
@Controller('1')
export class SessionsController {
  constructor(private readonly users: UsersService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @UseGuards(LoginLimitsGuard)
  @ApiOperation({ operationId: 'login', summary: 'Log in with name and password; returns a session token (rate-limited per address and per account)' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiUnauthorizedResponse({ description: 'invalid name or password' })
  @ApiTooManyRequestsResponse({
    description: `more than ${LOGIN_ATTEMPTS_PER_MINUTE} attempts a minute from one address, or ${LOGIN_ATTEMPTS_PER_ACCOUNT.limit} in ${LOGIN_ATTEMPTS_PER_ACCOUNT.ttl / 60_000} minutes for one account (Retry-After says when to try again)`,
  })
  login(@Body() dto: LoginDto): Promise<SessionResponseDto> {
    return this.users.loginWithPassword(dto);
  }

  @Post('logout')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({ operationId: 'logout', summary: "Revoke the caller's session token at once" })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiBadRequestResponse({ description: 'called with a user access token, not a session token (an access token is reset, not logged out)' })
  async logout(@CurrentUser() principal: Principal): Promise<MessageResponseDto> {
    await this.users.logout(principal);
    return { message: 'ok' };
  }
}
