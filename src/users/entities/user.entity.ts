import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Role } from '../../common/auth/principal';
import { bigintNumber } from '../../database/column-transformers';
import { PolicyColumns } from '../../metering/entities/policy-columns';
import { jsonText } from './json-text.transformer';

/** Stored user status: 1 enabled, 2 disabled (a disabled user's tokens and sessions stop working). */
export enum UserStatus {
  Enabled = 1,
  Disabled = 2,
}

/**
 * A user of seed 003. The access token (a UUID v4) is never stored in clear:
 * `token_hash` is its HMAC-SHA-256 (lookup), `token_hint` its masked form for display.
 * Deletion is soft (`is_delete`), so usage history keeps its owner; a deleted user's name stays taken.
 * SSO adds `display_name`, `email`, `roles` (role names), an optional bcrypt password and `status`.
 * Users created by SSO have no access token (`token_hash` NULL, `token_hint` `****`) until one is reset.
 * `name` compares exactly: on MySQL/MariaDB the column has the binary collation `utf8mb4_bin`
 * (set by a migration; TypeORM does not compare collations, and SQLite compares bytes already).
 */
@Entity('users')
@Index('uq_users_name', ['name'], { unique: true })
@Index('uq_users_token_hash', ['tokenHash'], { unique: true })
@Index('idx_users_previous_token_hash', ['previousTokenHash'])
@Index('idx_users_next_reset_at', ['policy.nextResetAt'])
export class UserEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, nullable: true })
  tokenHash: string | null;

  @Column({ name: 'token_hint', type: 'varchar', length: 16 })
  tokenHint: string;

  /** 1 common user, 10 admin, 100 root (new-api's numbers). */
  @Column({ type: 'integer', default: Role.Common })
  role: Role;

  @Column({ name: 'is_delete', type: 'boolean', default: false })
  isDelete: boolean;

  @Column({ name: 'display_name', type: 'varchar', length: 128, default: '' })
  displayName: string;

  @Column({ type: 'varchar', length: 255, default: '' })
  email: string;

  /** bcrypt hash (bcryptjs), NULL when the user has no password. */
  @Column({ name: 'password_hash', type: 'varchar', length: 100, nullable: true })
  passwordHash: string | null;

  /** Role names, e.g. `["SYS_Reader"]` (seed 004's `initroles`); `Administrator` implies role admin (10). */
  @Column({ type: 'text', nullable: true, transformer: jsonText<string[]>(() => []) })
  roles: string[];

  @Column({ type: 'integer', default: UserStatus.Enabled })
  status: UserStatus;

  /** True while the password is an SSO app's `initpwd`: a password login then opens only a password-change session. */
  @Column({ name: 'must_change_password', type: 'boolean', default: false })
  mustChangePassword: boolean;

  /** Remaining budget in quota units (500,000 = 1 USD), NULL = unlimited. Leases held by instances are not in it. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  quota: number | null;

  /** Quota units charged so far: the sum of the user's usage records. */
  @Column({ name: 'used_quota', type: 'bigint', default: 0, transformer: bigintNumber })
  usedQuota: number;

  /** Relayed requests charged to the user. */
  @Column({ name: 'request_count', type: 'bigint', default: 0, transformer: bigintNumber })
  requestCount: number;

  /** Comma-separated groups the user's tokens may use (admins and root may use any). */
  @Column({ type: 'varchar', length: 255, default: 'default' })
  groups: string;

  /** Rate limits and the periodic reset of the budget. */
  @Column(() => PolicyColumns, { prefix: false })
  policy: PolicyColumns;

  /** HMAC of the access token a reset replaced, which works until `previous_token_expires_at` (unix seconds). */
  @Column({ name: 'previous_token_hash', type: 'varchar', length: 64, nullable: true })
  previousTokenHash: string | null;

  @Column({ name: 'previous_token_expires_at', type: 'bigint', nullable: true, transformer: bigintNumber })
  previousTokenExpiresAt: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
