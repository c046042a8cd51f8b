import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber, decimalString } from '../../database/column-transformers';

/**
 * One relayed request: who, which token and upstream key, which model, tokens,
 * cost in USD (decimal, 10 places), quota charged (quota units, 500,000 = 1 USD), outcome.
 * Failed and aborted requests are recorded too (quota 0 when refunded).
 */
@Entity('usage_records')
@Index('idx_usage_user_id', ['userId', 'id'])
@Index('idx_usage_token_id', ['tokenId', 'id'])
@Index('idx_usage_model_id', ['model', 'id'])
@Index('idx_usage_status_id', ['statusCode', 'id'])
@Index('idx_usage_created_at', ['createdAt'])
@Index('idx_usage_user_created', ['userId', 'createdAt'])
export class UsageRecordEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  /** The API token, or null for a request relayed with the user's own access token. */
  @Column({ name: 'token_id', type: 'integer', nullable: true })
  tokenId: number | null;

  @Column({ name: 'key_id', type: 'integer', nullable: true })
  keyId: number | null;

  @Column({ type: 'varchar', length: 128 })
  model: string;

  @Column({ name: 'prompt_tokens', type: 'integer', default: 0 })
  promptTokens: number;

  @Column({ name: 'completion_tokens', type: 'integer', default: 0 })
  completionTokens: number;

  @Column({ name: 'total_tokens', type: 'integer', default: 0 })
  totalTokens: number;

  /** Prompt tokens served from the provider's cache (included in `promptTokens`). */
  @Column({ name: 'cached_tokens', type: 'integer', default: 0 })
  cachedTokens: number;

  /** Reasoning tokens (included in `completionTokens`). */
  @Column({ name: 'reasoning_tokens', type: 'integer', default: 0 })
  reasoningTokens: number;

  /** USD, decimal string with 10 places. */
  @Column({ name: 'cost_usd', type: 'decimal', precision: 20, scale: 10, default: 0, transformer: decimalString })
  costUsd: string;

  /** Quota units actually charged. */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  quota: number;

  /** HTTP status returned to the client (499 when the client went away). */
  @Column({ name: 'status_code', type: 'integer' })
  statusCode: number;

  @Column({ name: 'is_stream', type: 'boolean', default: false })
  isStream: boolean;

  @Column({ name: 'latency_ms', type: 'integer', default: 0 })
  latencyMs: number;

  @Column({ type: 'varchar', length: 64, default: '' })
  ip: string;

  @Column({ name: 'request_id', type: 'varchar', length: 128, default: '' })
  requestId: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
