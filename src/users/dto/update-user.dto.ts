import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { Role } from '../../common/auth/principal';
import { UserStatus } from '../entities/user.entity';

/** `PATCH /1/users/:id` body: rename, or (root only) set the role to common (1) or admin (10). */
export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'u1-renamed', minLength: 1, maxLength: 64 })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  /** 1 common user, 10 admin. Root (100) cannot be granted. */
  @ApiPropertyOptional({ example: 10, enum: [Role.Common, Role.Admin] })
  @IsOptional()
  @IsIn([Role.Common, Role.Admin], { message: 'role must be 1 (common user) or 10 (admin); root (100) cannot be granted' })
  role?: Role;

  /** 1 enabled, 2 disabled: a disabled user's tokens and sessions stop working at once (root cannot be disabled). */
  @ApiPropertyOptional({ example: 2, enum: [UserStatus.Enabled, UserStatus.Disabled] })
  @IsOptional()
  @IsIn([UserStatus.Enabled, UserStatus.Disabled], { message: 'status must be 1 (enabled) or 2 (disabled)' })
  status?: UserStatus;
}
