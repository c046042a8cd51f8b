import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, decimalString } from '../../database/column-transformers';

/**
 * Per-user rollup at three grains, summed over tokens and models: `D` (UTC day), `W` (ISO week from
 * Monday) and `M` (calendar month), each keyed by its start day. Each record adds to its day, week and
 * month rows in the same transaction (see UsageRecorder). `GET /1/usages` splits its range into whole
 * periods (see rangePeriods), so a calendar month reads one row per user and any 31 days at most 13.
 */
@Entity('usage_period_user')
@Index('idx_usage_period_user_user', ['userId', 'grain', 'periodStart'])
export class UsagePeriodUserEntity {
  /** `D`, `W` or `M`. */
  @PrimaryColumn({ type: 'varchar', length: 1 })
  grain: string;

  /** First UTC day of the period, `YYYY-MM-DD`. */
  @PrimaryColumn({ name: 'period_start', type: 'varchar', length: 10 })
  periodStart: string;

  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId: number;

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
