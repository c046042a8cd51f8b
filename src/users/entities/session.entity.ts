import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../database/column-transformers';

/**
 * A login session: made by an SSO login or `POST /1/login`, accepted by the global
 * guard like a user access token. The token itself is never stored: `token_hash` is its
 * HMAC-SHA-256 (unique, the guard's one indexed lookup). `expires_at` is unix seconds.
 */
@Entity('sessions')
@Index('uq_sessions_token_hash', ['tokenHash'], { unique: true })
@Index('idx_sessions_user_id', ['userId'])
@Index('idx_sessions_expires_at', ['expiresAt'])
export class SessionEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  /** `sso` or `password`. */
  @Column({ type: 'varchar', length: 16 })
  via: string;

  /** The SSO app that made it; empty for password logins. */
  @Column({ name: 'app_name', type: 'varchar', length: 64, default: '' })
  appName: string;

  /** True for a session opened with a first password (`initpwd`): it may only change the password. */
  @Column({ name: 'password_change_only', type: 'boolean', default: false })
  passwordChangeOnly: boolean;

  @Column({ name: 'expires_at', type: 'bigint', transformer: bigintNumber })
  expiresAt: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
