import { ApiPropertyOptional } from '@nestjs/swagger';
import { PolicyFieldsDto } from '../../metering/dto/policy-fields.dto';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { Role } from '../../common/auth/principal';
import { NullMeansSomething } from '../../common/http/validation.pipe';
import { MAX_REMAIN_QUOTA } from '../../tokens/token-fields';
import { UserStatus } from '../entities/user.entity';

/** `"a, b"` or `["a","b"]` → trimmed non-empty group names. */
const toGroupList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((g) => g.trim()).filter(Boolean) : Array.isArray(value) ? value.map((g) => (typeof g === 'string' ? g.trim() : g)) : value;

/**
 * `PATCH /1/users/:id` body: rename, (root only) set the role to common (1) or admin (10), enable
 * or disable, and (admins) set the user's budget: `quota` (remaining quota units, null = unlimited),
 * `add_quota` (a top-up), the `groups` its tokens may use, its rate limits and a periodic reset.
 */
export class UpdateUserDto extends PolicyFieldsDto {
  @ApiPropertyOptional({ example: 'u1-renamed', minLength: 1, maxLength: 64 })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  /** 1 common user, 10 admin. Root (100) cannot be granted. */
  @ApiPropertyOptional({ example: 10, enum: [Role.Common, Role.Admin], type: 'integer' })
  @IsOptional()
  @IsIn([Role.Common, Role.Admin], { message: 'role must be 1 (common user) or 10 (admin); root (100) cannot be granted' })
  role?: Role;

  /** 1 enabled, 2 disabled: a disabled user's tokens and sessions stop working at once (root cannot be disabled). */
  @ApiPropertyOptional({ example: 2, enum: [UserStatus.Enabled, UserStatus.Disabled], type: 'integer' })
  @IsOptional()
  @IsIn([UserStatus.Enabled, UserStatus.Disabled], { message: 'status must be 1 (enabled) or 2 (disabled)' })
  status?: UserStatus;

  /**
   * The user's remaining budget in quota units (500,000 = 1 USD), replacing what is left; `null`
   * makes it unlimited. Every relayed request is charged to its user too, unlimited tokens included.
   */
  @ApiPropertyOptional({ example: 5_000_000, nullable: true, type: 'integer', minimum: 0, maximum: MAX_REMAIN_QUOTA })
  @NullMeansSomething()
  @IsOptional()
  @ValidateIf((o: UpdateUserDto) => o.quota !== null)
  @IsInt({ message: 'quota must be an integer number of quota units, or null for unlimited' })
  @Min(0)
  @Max(MAX_REMAIN_QUOTA)
  quota?: number | null;

  /** Quota units added to what the user has left (a top-up); the budget must be limited. */
  @ApiPropertyOptional({ example: 500_000, type: 'integer', minimum: 1, maximum: MAX_REMAIN_QUOTA })
  @IsOptional()
  @IsInt({ message: 'add_quota must be an integer number of quota units' })
  @Min(1)
  @Max(MAX_REMAIN_QUOTA)
  add_quota?: number;

  /** The groups the user's tokens may use (array or comma list); admins and root may use any. */
  @ApiPropertyOptional({ example: ['default', 'vip'], type: [String] })
  @IsOptional()
  @Transform(toGroupList)
  @IsArray({ message: 'groups must be a list of group names' })
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(/^[\w.-]{1,64}$/, { each: true, message: 'groups must be names of letters, digits, _ . - (at most 64 characters)' })
  groups?: string[];
}
