import { ApiProperty } from '@nestjs/swagger';
import { RESET_PERIODS, type ResetPeriod } from '../entities/policy-columns';

/** A token's or user's rate limits and periodic reset as the API shows them (null = none). */
export class PolicyViewDto {
  @ApiProperty({ example: null, nullable: true, type: 'integer', description: 'requests per minute; null = no limit' })
  rpm_limit: number | null;

  @ApiProperty({ example: null, nullable: true, type: 'integer', description: 'tokens per minute; null = no limit' })
  tpm_limit: number | null;

  @ApiProperty({ example: null, nullable: true, type: 'integer', description: 'requests in flight at once; null = no limit' })
  max_parallel_requests: number | null;

  @ApiProperty({ example: 'never', enum: RESET_PERIODS })
  quota_reset_period: ResetPeriod;

  @ApiProperty({ example: null, nullable: true, type: 'integer', description: 'quota units the balance becomes at each reset' })
  quota_reset_amount: number | null;

  @ApiProperty({ example: '+00:00', description: 'the UTC offset whose midnight starts a period' })
  quota_reset_tz: string;

  @ApiProperty({ example: null, nullable: true, type: 'integer', description: 'unix seconds of the next reset; null = none' })
  next_reset_at: number | null;

  @ApiProperty({ example: null, nullable: true, type: 'integer', description: 'unix seconds until which the key replaced by the last rotation still works; null = none' })
  previous_key_expires_at: number | null;
}
