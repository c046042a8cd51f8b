import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { toInt } from '../../common/http/int-transform';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, type AuditAction } from '../audit-actions';

/** `type` or `type:id` of {@link AuditQueryDto.target}. */
export const AUDIT_TARGET = new RegExp(`^(${AUDIT_TARGET_TYPES.join('|')})(:[^\\s:][^\\s]{0,127})?$`);

/** Largest page of `GET /1/audit`. */
export const AUDIT_PAGE_MAX = 500;

/**
 * `GET /1/audit` filters, newest first: a range of unix seconds (`from` inclusive, `to` exclusive), the actor,
 * the action, the target, and a keyset page (`cursor` = the previous page's `nextCursor`, `limit` records).
 */
export class AuditQueryDto {
  /** Records at or after this time, unix seconds. */
  @ApiPropertyOptional({ type: 'integer', example: 1764547200 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  from?: number;

  /** Records before this time, unix seconds. */
  @ApiPropertyOptional({ type: 'integer', example: 1767225600 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  to?: number;

  /** Records of this actor (a user id). */
  @ApiPropertyOptional({ type: 'integer', example: 1 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  actor_id?: number;

  /** Records of this action. */
  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, example: 'user.update' })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  /** Records of this target: a type (`user`, `key`, `price`, `sso_app`, `user_name`), or type and id (`user:5`, `price:gpt-4o`). */
  @ApiPropertyOptional({ example: 'user:2', pattern: AUDIT_TARGET.source })
  @IsOptional()
  @IsString()
  @Matches(AUDIT_TARGET, { message: `target must be a type (${AUDIT_TARGET_TYPES.join(', ')}) or type:id, such as user:5` })
  target?: string;

  /** Records per page, 1 to 500 (default 50). */
  @ApiPropertyOptional({ type: 'integer', default: 50, example: 50, minimum: 1, maximum: AUDIT_PAGE_MAX })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(AUDIT_PAGE_MAX)
  limit?: number;

  /** The `nextCursor` of the previous page (older records follow). */
  @ApiPropertyOptional({ example: 'MTc2NDU0NzIwMDAwMC40Mg' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  cursor?: string;
}
