import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../database/column-transformers';

/** Upstream key status: 1 enabled, 2 disabled by an admin, 3 disabled automatically (401 / insufficient_quota). */
export enum KeyStatus {
  Enabled = 1,
  DisabledByAdmin = 2,
  DisabledAuto = 3,
}

/** Seed 003's `api_type` values. */
export const API_TYPES = ['openai', 'azure_openai'] as const;
export type ApiType = (typeof API_TYPES)[number];
/** `api_type` values accepted on input: seed 003's, and opencatd's `azure` (doc/API.md), stored as `azure_openai`. */
export const API_TYPE_INPUTS = [...API_TYPES, 'azure'] as const;
export type ApiTypeInput = (typeof API_TYPE_INPUTS)[number];

/**
 * An upstream provider key of seed 003 (`/1/keys`), extended for a gateway.
 * The key is never stored in clear: `key_ciphertext` is AES-256-GCM under the master key,
 * `key_hint` its masked form (first 3 + `****` + last 4), `key_hash` its HMAC-SHA-256 (uniqueness).
 * Names and keys are unique, as in opencatd; `name` compares exactly (`utf8mb4_bin` on MySQL/MariaDB,
 * set by a migration) and is NULL for an unnamed key. Table `upstream_keys` (`KEYS` is reserved in MySQL).
 */
@Entity('upstream_keys')
@Index('idx_upstream_keys_group', ['group', 'status'])
@Index('uq_upstream_keys_name', ['name'], { unique: true })
@Index('uq_upstream_keys_key_hash', ['keyHash'], { unique: true })
export class KeyEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** Unique; NULL = no name (shown as `""`). */
  @Column({ type: 'varchar', length: 128, nullable: true })
  name: string | null;

  /** HMAC-SHA-256 of the key (CryptoService.hash); NULL only for a row the uniqueness migration could not hash. */
  @Column({ name: 'key_hash', type: 'varchar', length: 64, nullable: true })
  keyHash: string | null;

  @Column({ name: 'key_ciphertext', type: 'varchar', length: 2048 })
  keyCiphertext: string;

  /** Masked key for display: `sk-****wxyz`. */
  @Column({ name: 'key_hint', type: 'varchar', length: 16 })
  keyHint: string;

  @Column({ name: 'api_type', type: 'varchar', length: 32, default: 'openai' })
  apiType: ApiType;

  /** openai: base URL (e.g. `https://api.openai.com/v1`); azure_openai: resource URL. */
  @Column({ type: 'varchar', length: 1024 })
  endpoint: string;

  /** Azure `api-version` query parameter; empty for openai. */
  @Column({ name: 'api_version', type: 'varchar', length: 64, default: '' })
  apiVersion: string;

  /** JSON object model → Azure deployment name; a model without an entry uses its own name. */
  @Column({ type: 'text' })
  deployments: string;

  /** Comma-separated model names this key serves; empty = any. */
  @Column({ type: 'text' })
  models: string;

  @Column({ name: 'group', type: 'varchar', length: 64, default: 'default' })
  group: string;

  /** Higher is tried first. */
  @Column({ type: 'integer', default: 0 })
  priority: number;

  /** Relative weight among keys of the same priority (0 = only when all others fail). */
  @Column({ type: 'integer', default: 1 })
  weight: number;

  @Column({ type: 'integer', default: KeyStatus.Enabled })
  status: KeyStatus;

  @Column({ name: 'last_error', type: 'varchar', length: 1024, default: '' })
  lastError: string;

  /** Unix seconds of the last relayed request through this key (flushed from memory every few seconds); 0 = never. */
  @Column({ name: 'last_used_at', type: 'bigint', default: 0, transformer: bigintNumber })
  lastUsedAt: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
