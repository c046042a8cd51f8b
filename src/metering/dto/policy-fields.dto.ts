import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { NullMeansSomething } from '../../common/http/validation.pipe';
import { utcOffsetMinutes } from '../../common/utc-offset';
import { RESET_PERIODS, type ResetPeriod } from '../entities/policy-columns';

/** Largest rate limit accepted (requests, tokens or requests in flight). */
export const MAX_RATE_LIMIT = 1_000_000_000;
/** Largest reset amount: 500,000,000,000,000 quota units (1,000,000,000 USD). */
const MAX_RESET_AMOUNT = 500_000_000_000_000;

/** A UTC offset `utcOffsetMinutes` reads (`+08:00`, `-05:30`, `Z`). */
function IsUtcOffset(): PropertyDecorator {
  return ValidateBy({
    name: 'isUtcOffset',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && utcOffsetMinutes(value) !== undefined,
      defaultMessage: (args) => `${args?.property} must be a UTC offset like +08:00, -05:30 or Z`,
    },
  });
}

/**
 * The policy fields a token (`/api/token/`) and a user (`PATCH /1/users/:id`) share, all optional:
 * rate limits, LiteLLM's names (`null` = no limit), and a periodic reset of the balance.
 */
export class PolicyFieldsDto {
  /** Requests per minute; null = no limit. */
  @ApiPropertyOptional({ example: 60, nullable: true, type: 'integer', minimum: 1, maximum: MAX_RATE_LIMIT })
  @NullMeansSomething()
  @IsOptional()
  @ValidateIf((o: PolicyFieldsDto) => o.rpm_limit !== null)
  @IsInt({ message: 'rpm_limit must be an integer number of requests per minute, or null for none' })
  @Min(1)
  @Max(MAX_RATE_LIMIT)
  rpm_limit?: number | null;

  /** Tokens (prompt + completion, as upstreams report them) per minute; null = no limit. */
  @ApiPropertyOptional({ example: 100000, nullable: true, type: 'integer', minimum: 1, maximum: MAX_RATE_LIMIT })
  @NullMeansSomething()
  @IsOptional()
  @ValidateIf((o: PolicyFieldsDto) => o.tpm_limit !== null)
  @IsInt({ message: 'tpm_limit must be an integer number of tokens per minute, or null for none' })
  @Min(1)
  @Max(MAX_RATE_LIMIT)
  tpm_limit?: number | null;

  /** Requests in flight at once; null = no limit. */
  @ApiPropertyOptional({ example: 4, nullable: true, type: 'integer', minimum: 1, maximum: MAX_RATE_LIMIT })
  @NullMeansSomething()
  @IsOptional()
  @ValidateIf((o: PolicyFieldsDto) => o.max_parallel_requests !== null)
  @IsInt({ message: 'max_parallel_requests must be an integer, or null for none' })
  @Min(1)
  @Max(MAX_RATE_LIMIT)
  max_parallel_requests?: number | null;

  /** How often the balance becomes `quota_reset_amount`: `never` (default), `daily`, `weekly` (Mondays) or `monthly` (the 1st). */
  @ApiPropertyOptional({ example: 'daily', enum: RESET_PERIODS })
  @IsOptional()
  @IsIn(RESET_PERIODS, { message: `quota_reset_period must be one of: ${RESET_PERIODS.join(', ')}` })
  quota_reset_period?: ResetPeriod;

  /** Quota units (500,000 = 1 USD) the balance becomes at each reset (it is not added). */
  @ApiPropertyOptional({ example: 500000, nullable: true, type: 'integer', minimum: 0, maximum: MAX_RESET_AMOUNT })
  @NullMeansSomething()
  @IsOptional()
  @ValidateIf((o: PolicyFieldsDto) => o.quota_reset_amount !== null)
  @IsInt({ message: 'quota_reset_amount must be an integer number of quota units' })
  @Min(0)
  @Max(MAX_RESET_AMOUNT)
  quota_reset_amount?: number | null;

  /** The UTC offset whose midnight starts a period (default `+00:00`). */
  @ApiPropertyOptional({ example: '+08:00' })
  @IsOptional()
  @IsString()
  @IsUtcOffset()
  quota_reset_tz?: string;
}
