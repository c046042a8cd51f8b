import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Patch, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, Public } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { MessageResponseDto, UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

const idPipe = new ParseIntPipe({ exceptionFactory: () => new BadRequestException('id must be an integer') });

/** Seed 003's user routes under `/1/`. Bare objects; errors `{message}`. */
@ApiTags('Users')
@Controller('1')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('users/init')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create the root user (id 1) once; returns its access token in full' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiForbiddenResponse({ description: 'already initialized' })
  init(): Promise<UserResponseDto> {
    return this.users.initRoot();
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The calling user (token masked)' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() principal: Principal): Promise<UserResponseDto> {
    return this.users.me(principal);
  }

  @Get('users')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'All users, deleted ones flagged by IsDelete (tokens masked)' })
  @ApiOkResponse({ type: UserResponseDto, isArray: true })
  list(): Promise<UserResponseDto[]> {
    return this.users.list();
  }

  @Post('users')
  @Authenticated({ admin: true })
  @HttpCode(200)
  @ApiOperation({ summary: 'Add a common user; returns its access token in full, once' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiConflictResponse({ description: 'name taken' })
  create(@Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(dto);
  }

  @Patch('users/:id')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: 'Rename a user, or (root only) make it admin (10) or common (1)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse({ description: 'no such user' })
  update(@CurrentUser() actor: Principal, @Param('id', idPipe) id: number, @Body() dto: UpdateUserDto): Promise<UserResponseDto> {
    return this.users.update(actor, id, dto);
  }

  @Delete('users/:id')
  @Authenticated({ admin: true })
  @ApiOperation({ summary: "Delete a user: its access token and API tokens stop working at once (root can't be deleted)" })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiNotFoundResponse({ description: 'no such user' })
  async remove(@CurrentUser() actor: Principal, @Param('id', idPipe) id: number): Promise<MessageResponseDto> {
    await this.users.remove(actor, id);
    return { message: 'ok' };
  }

  @Post('users/:id/reset')
  @Authenticated({ admin: true })
  @HttpCode(200)
  @ApiOperation({ summary: "Reset a user's access token; the old one stops working at once" })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse({ description: 'no such user' })
  reset(@CurrentUser() actor: Principal, @Param('id', idPipe) id: number): Promise<UserResponseDto> {
    return this.users.resetToken(actor, id);
  }
}
