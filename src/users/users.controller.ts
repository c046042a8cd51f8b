import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, UseGuards } from '@nestjs/common';
import { GracePeriodDto } from '../common/http/grace-period.dto';
import { IdParamPipe } from '../common/http/id-param.pipe';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser, Public } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { ChangePasswordDto } from './dto/change-password.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { ResetTokenQueryDto } from './dto/reset-token-query.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { MessageResponseDto, UserResponseDto } from './dto/user-response.dto';
import { LOGIN_ATTEMPTS_PER_ACCOUNT, LOGIN_ATTEMPTS_PER_MINUTE } from './login-limits.guard';
import { PasswordChangeLimitsGuard } from './password-change-limits.guard';
import { UsersService } from './users.service';


/** A new user's budget and policy fields (not in seed 003): unlimited, nothing used, the default group, no rate limit or reset. */
const BUDGET = {
  quota: null, used_quota: 0, request_count: 0, groups: ['default'],
  rpm_limit: null, tpm_limit: null, max_parallel_requests: null,
  quota_reset_period: 'never', quota_reset_amount: null, quota_reset_tz: '+00:00', next_reset_at: null, previous_key_expires_at: null,
};
/** Seed 003's example users (its +08:00 times in UTC); tokens masked where the route masks them. */
const SEED_ROOT = { id: 1, name: 'root', token: 'df5982d6-d8fb-4eef-a513-24d0831f61ad', createdAt: '2023-05-28T10:47:19.000Z', updatedAt: '2023-05-28T10:47:19.000Z', IsDelete: false, role: 100, ...BUDGET };
const SEED_U1 = { id: 2, name: 'u1', token: '6ac4bd1a-18a6-4c25-922f-db689a299e38', createdAt: '2023-05-28T10:48:29.018Z', updatedAt: '2023-05-28T10:48:29.018Z', IsDelete: false, role: 1, ...BUDGET };
const masked = <T extends { token: string }>(user: T): T => ({ ...user, token: `${user.token.slice(0, 4)}****${user.token.slice(-4)}` });
const ID_PARAM = { name: 'id', type: 'integer', description: 'user id (GET /1/users lists them)' } as const;

/** Seed 003's user routes under `/1/`. Bare objects; errors `{message}`. */
@ApiTags('Users')
@Controller('1')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('users/init')
  @Public()
  @HttpCode(200)
  @ApiOperation({ operationId: 'initRoot', summary: 'Create the root user (id 1) once; returns its access token in full' })
  @ApiOkResponse({ type: UserResponseDto, example: SEED_ROOT })
  @ApiForbiddenResponse({ description: 'already initialized' })
  init(): Promise<UserResponseDto> {
    return this.users.initRoot();
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ operationId: 'getMe', summary: 'The calling user (token masked)' })
  @ApiOkResponse({ type: UserResponseDto, example: masked(SEED_ROOT) })
  me(@CurrentUser() principal: Principal): Promise<UserResponseDto> {
    return this.users.me(principal);
  }

  @Put('me/password')
  @Authenticated({ passwordChange: true })
  @UseGuards(PasswordChangeLimitsGuard)
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Set your password (old_password required when you have one); the one route a session opened with a first password may call',
  })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiBadRequestResponse({ description: 'password under 8 characters or over 72 bytes, old_password missing, or the same password' })
  @ApiForbiddenResponse({ description: 'old_password does not match' })
  @ApiTooManyRequestsResponse({
    description: `more than ${LOGIN_ATTEMPTS_PER_MINUTE} attempts a minute from one address, or ${LOGIN_ATTEMPTS_PER_ACCOUNT.limit} in ${LOGIN_ATTEMPTS_PER_ACCOUNT.ttl / 60_000} minutes for one account`,
  })
  async changePassword(@CurrentUser() principal: Principal, @Body() dto: ChangePasswordDto): Promise<MessageResponseDto> {
    await this.users.changePassword(principal, dto);
    return { message: 'ok' };
  }

  @Get('users')
  @Authenticated({ admin: true })
  @ApiOperation({ operationId: 'listUsers', summary: 'All users, deleted ones flagged by IsDelete (tokens masked)' })
  @ApiOkResponse({ type: UserResponseDto, isArray: true, example: [masked(SEED_ROOT), masked(SEED_U1)] })
  list(): Promise<UserResponseDto[]> {
    return this.users.list();
  }

  @Post('users')
  @Authenticated({ admin: true })
  @HttpCode(200)
  @ApiOperation({ operationId: 'createUser', summary: 'Add a common user; returns its access token in full, once' })
  @ApiOkResponse({ type: UserResponseDto, example: SEED_U1 })
  @ApiConflictResponse({ description: 'name taken' })
  create(@Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(dto);
  }

  @Patch('users/:id')
  @Authenticated({ admin: true })
  @ApiOperation({ operationId: 'updateUser', summary: 'Rename a user, or (root only) make it admin (10) or common (1)' })
  @ApiParam(ID_PARAM)
  @ApiBody({
    type: UpdateUserDto,
    examples: {
      rename: { summary: 'rename', value: { name: 'u1-renamed' } },
      budget: { summary: 'a budget of 10 USD (5,000,000 quota units) and the groups its tokens may use', value: { quota: 5_000_000, groups: ['default', 'vip'] } },
      topUp: { summary: 'top up a limited budget by 1 USD', value: { add_quota: 500_000 } },
      unlimited: { summary: 'an unlimited budget', value: { quota: null } },
      admin: { summary: 'make admin (root only)', value: { role: 10 } },
      disable: { summary: 'disable: its tokens and sessions stop working at once', value: { status: 2 } },
    },
  })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiForbiddenResponse({ description: 'only root manages admins and changes roles; root cannot be disabled; nobody disables themselves' })
  @ApiNotFoundResponse({ description: 'no such user' })
  @ApiConflictResponse({ description: 'name taken' })
  update(@CurrentUser() actor: Principal, @Param('id', IdParamPipe) id: number, @Body() dto: UpdateUserDto): Promise<UserResponseDto> {
    return this.users.update(actor, id, dto);
  }

  @Delete('users/:id')
  @Authenticated({ admin: true })
  @ApiOperation({ operationId: 'deleteUser', summary: "Delete a user: its access token and API tokens stop working at once (root can't be deleted)" })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiForbiddenResponse({ description: 'only root deletes admins; root cannot be deleted; nobody deletes themselves' })
  @ApiNotFoundResponse({ description: 'no such user' })
  async remove(@CurrentUser() actor: Principal, @Param('id', IdParamPipe) id: number): Promise<MessageResponseDto> {
    await this.users.remove(actor, id);
    return { message: 'ok' };
  }

  @Post('users/:id/reset')
  @Authenticated({ admin: true })
  @HttpCode(200)
  @ApiOperation({ operationId: 'resetUserToken', summary: "Reset a user's access token to ?token=<uuid> (opencatd) or a random one; the old one stops working at once, or grace_seconds later" })
  @ApiBody({ type: GracePeriodDto, required: false })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({
    type: UserResponseDto,
    example: { id: 2, name: 'u2', token: '881a30d2-2fc8-4758-a07e-7d9ad5f34266', createdAt: '2023-05-28T11:33:54.839Z', updatedAt: '2023-05-28T11:34:33.387Z', IsDelete: false, role: 1, ...BUDGET },
  })
  @ApiForbiddenResponse({ description: "only root resets an admin's token" })
  @ApiNotFoundResponse({ description: 'no such user' })
  @ApiConflictResponse({ description: "token is another user's access token" })
  reset(@CurrentUser() actor: Principal, @Param('id', IdParamPipe) id: number, @Query() query: ResetTokenQueryDto, @Body() body: GracePeriodDto): Promise<UserResponseDto> {
    return this.users.resetToken(actor, id, query.token, body.grace_seconds ?? 0);
  }
}
