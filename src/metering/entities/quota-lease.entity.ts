import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../database/column-transformers';
import type { SubjectKind } from '../subject';

/**
 * A quota lease: `amount` quota units taken from a token's `remain_quota` or a user's `quota` by
 * one instance, which spends them in memory. Settlements take what requests cost from it (with
 * their usage records, in one transaction); what is left goes back to the balance when the
 * instance returns it, or, once `expires_at` (unix ms) has passed without a renewal, when any
 * instance reclaims it. At every commit: balance + charged records + live lease amounts is what
 * the subject was given.
 */
@Entity('quota_leases')
@Index('idx_quota_leases_subject', ['subject', 'subjectId'])
@Index('idx_quota_leases_instance', ['instanceId'])
@Index('idx_quota_leases_expires_at', ['expiresAt'])
export class QuotaLeaseEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** The instance holding it (random per process start). */
  @Column({ name: 'instance_id', type: 'varchar', length: 36 })
  instanceId: string;

  /** `token` or `user`. */
  @Column({ type: 'varchar', length: 8 })
  subject: SubjectKind;

  @Column({ name: 'subject_id', type: 'integer' })
  subjectId: number;

  /** Quota units held and not yet charged. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  amount: number;

  /** Unix milliseconds; renewed while the instance lives. */
  @Column({ name: 'expires_at', type: 'bigint', transformer: bigintNumber })
  expiresAt: number;
}
