import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../database/column-transformers';

/**
 * A one-time SSO token id claimed by a login (used when `REDIS_URL` is not set). `claimKey` is a
 * SHA-256 hex of the app and the token's id, never the token; unique, so claiming is one INSERT.
 * `expiresAt` is unix milliseconds, after which the row is purged.
 */
@Entity('sso_replay_claims')
@Index('uq_sso_replay_claims_claim_key', ['claimKey'], { unique: true })
@Index('idx_sso_replay_claims_expires_at', ['expiresAt'])
export class SsoReplayClaimEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'claim_key', type: 'varchar', length: 64 })
  claimKey: string;

  @Column({ name: 'expires_at', type: 'bigint', transformer: bigintNumber })
  expiresAt: number;
}
