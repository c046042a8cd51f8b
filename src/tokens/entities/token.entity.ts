import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../database/column-transformers';
import { PolicyColumns } from '../../metering/entities/policy-columns';

/** Stored token status: 1 enabled, 2 disabled (seed 002). 3 expired and 4 exhausted are derived on read. */
export enum TokenStatus {
  Enabled = 1,
  Disabled = 2,
  Expired = 3,
  Exhausted = 4,
}

/**
 * A user's API token (`sk-<48 alphanumerics>`) of seeds 000/001/002, new-api's field names.
 * The key is never stored in clear: `key_hash` (HMAC-SHA-256, unique, the relay's one indexed
 * lookup), `key_ciphertext` (AES-256-GCM, for reveal), `key_prefix`/`key_suffix` (first 8 /
 * last 4 clear characters, for search and masking). Times are unix seconds; quota is integer
 * quota units (500,000 = 1 USD, seed 000).
 */
@Entity('tokens')
@Index('uq_tokens_key_hash', ['keyHash'], { unique: true })
@Index('idx_tokens_user_id', ['userId', 'id'])
@Index('idx_tokens_user_prefix', ['userId', 'keyPrefix'])
@Index('idx_tokens_user_suffix', ['userId', 'keySuffix'])
@Index('idx_tokens_previous_key_hash', ['previousKeyHash'])
@Index('idx_tokens_next_reset_at', ['policy.nextResetAt'])
export class TokenEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash: string;

  @Column({ name: 'key_ciphertext', type: 'varchar', length: 255 })
  keyCiphertext: string;

  @Column({ name: 'key_prefix', type: 'varchar', length: 8 })
  keyPrefix: string;

  @Column({ name: 'key_suffix', type: 'varchar', length: 4 })
  keySuffix: string;

  /** Stored 1 (enabled) or 2 (disabled); see {@link TokenStatus}. */
  @Column({ type: 'integer', default: TokenStatus.Enabled })
  status: TokenStatus;

  @Column({ name: 'created_time', type: 'bigint', transformer: bigintNumber })
  createdTime: number;

  @Column({ name: 'accessed_time', type: 'bigint', transformer: bigintNumber, default: 0 })
  accessedTime: number;

  /** Unix seconds, or -1 for never. */
  @Column({ name: 'expired_time', type: 'bigint', transformer: bigintNumber, default: -1 })
  expiredTime: number;

  @Column({ name: 'remain_quota', type: 'bigint', transformer: bigintNumber, default: 0 })
  remainQuota: number;

  @Column({ name: 'used_quota', type: 'bigint', transformer: bigintNumber, default: 0 })
  usedQuota: number;

  @Column({ name: 'unlimited_quota', type: 'boolean', default: false })
  unlimitedQuota: boolean;

  @Column({ name: 'model_limits_enabled', type: 'boolean', default: false })
  modelLimitsEnabled: boolean;

  /** Normalized comma-separated model names. */
  @Column({ name: 'model_limits', type: 'text' })
  modelLimits: string;

  /** Normalized newline-separated IPs/CIDRs; empty = any. */
  @Column({ name: 'allow_ips', type: 'text' })
  allowIps: string;

  /** Comma-separated groups, order = priority; empty = `default`. */
  @Column({ name: 'group', type: 'varchar', length: 255, default: '' })
  group: string;

  @Column({ name: 'mj_image_mode', type: 'varchar', length: 16, default: 'default' })
  mjImageMode: string;

  @Column({ name: 'mj_custom_proxy', type: 'varchar', length: 1024, default: '' })
  mjCustomProxy: string;

  /** JSON array of group names (seed 000's `selected_groups`). */
  @Column({ name: 'selected_groups', type: 'text' })
  selectedGroups: string;

  /** Rate limits and the periodic quota reset. */
  @Column(() => PolicyColumns, { prefix: false })
  policy: PolicyColumns;

  /** HMAC of the key a rotation replaced, which works until `previous_key_expires_at` (unix seconds). */
  @Column({ name: 'previous_key_hash', type: 'varchar', length: 64, nullable: true })
  previousKeyHash: string | null;

  @Column({ name: 'previous_key_expires_at', type: 'bigint', nullable: true, transformer: bigintNumber })
  previousKeyExpiresAt: number | null;
}
