import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, decimalString } from '../../database/column-transformers';

/**
 * Daily rollup of usage records keyed by (UTC day, user, token, model), added to in the same
 * transaction as each record, so reports never scan raw records. `cost_usd` is USD (decimal,
 * 10 places), `quota` quota units (500,000 = 1 USD), token counts are sums.
 */
@Entity('usage_daily')
@Index('idx_usage_daily_user_day', ['userId', 'day'])
export class UsageDailyEntity {
  /** UTC date `YYYY-MM-DD`. */
  @PrimaryColumn({ type: 'varchar', length: 10 })
  day: string;

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

  @Column({ name: 'cost_usd', type: 'decimal', precision: 24, scale: 10, default: 0, transformer: decimalString })
  costUsd: string;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  quota: number;
}
