import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Throttle, ThrottlerGuard } from '@nestjs/throttler';
import { Authenticated, CurrentUser, Public } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { LoginDto } from './dto/login.dto';
import { SessionResponseDto } from './dto/session-response.dto';
import { MessageResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

/** Password login attempts per client address and minute. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

/** Session login and logout under `/1/` (issue 6). Bare objects; errors `{message}`. */
@ApiTags('Users')
@Controller('1')
export class SessionsController {
  constructor(private readonly users: UsersService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @UseGuards(ThrottlerGuard)
  @Throttle({ default: { limit: LOGIN_ATTEMPTS_PER_MINUTE, ttl: 60_000 } })
  @ApiOperation({ summary: 'Log in with name and password; returns a session token (rate-limited per address)' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiUnauthorizedResponse({ description: 'invalid name or password' })
  @ApiTooManyRequestsResponse({ description: `more than ${LOGIN_ATTEMPTS_PER_MINUTE} attempts a minute` })
  login(@Body() dto: LoginDto): Promise<SessionResponseDto> {
    return this.users.loginWithPassword(dto);
  }

  @Post('logout')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke the caller's session token at once" })
  @ApiOkResponse({ type: MessageResponseDto })
  async logout(@CurrentUser() principal: Principal): Promise<MessageResponseDto> {
    await this.users.logout(principal);
    return { message: 'ok' };
  }
}
