import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, decimalString } from '../../database/column-transformers';

/**
 * Daily rollup per (UTC day, user), summed over tokens and models: what `GET /1/usages` reads, so a
 * month for every user is ~30 × users rows however many tokens and models they use. Added to in the
 * same transaction as each record (see UsageRecorder), next to the finer `usage_daily`.
 */
@Entity('usage_daily_user')
@Index('idx_usage_daily_user_user_day', ['userId', 'day'])
export class UsageDailyUserEntity {
  /** UTC date `YYYY-MM-DD`. */
  @PrimaryColumn({ type: 'varchar', length: 10 })
  day: string;

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
