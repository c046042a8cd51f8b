import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, decimalString } from '../../database/column-transformers';

/**
 * Hourly rollup of usage records keyed by (UTC hour, user, token, model), added to in the same
 * transaction as each record, like `usage_daily`. The reports on days of a non-UTC offset
 * (`?tz=+08:00`) read whole UTC days from the day/week/month rollups and move the hours that fall on
 * another local day with these rows (see usage-range.ts `localRangePlan`, `localDaysPlan`). Units as in `usage_daily`.
 */
@Entity('usage_hourly')
@Index('idx_usage_hourly_user_hour', ['userId', 'hourStart'])
export class UsageHourlyEntity {
  /** UTC hour `YYYY-MM-DD HH`. */
  @PrimaryColumn({ name: 'hour_start', type: 'varchar', length: 13 })
  hourStart: string;

  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

  @PrimaryColumn({ name: 'token_id', type: 'integer' })
  tokenId: number;

  @PrimaryColumn({ type: 'varchar', length: 128 })
  model: string;

  @Column({ type: 'integer', default: 0 })
  requests: number;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0, transformer: bigintNumber })
  promptTokens: number;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0, transformer: bigintNumber })
  completionTokens: number;

  @Column({ name: 'total_tokens', type: 'bigint', default: 0, transformer: bigintNumber })
  totalTokens: number;

  /** USD, 10 places. */
  @Column({ name: 'cost_usd', type: 'decimal', precision: 24, scale: 10, default: 0, transformer: decimalString })
  costUsd: string;

  /** Quota units charged. */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  quota: number;
}
