import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../database/column-transformers';
import type { SubjectKind } from '../subject';

/** One periodic quota reset that happened: which balance, which boundary, what it held and became (quota units). */
@Entity('quota_resets')
@Index('uq_quota_resets_due', ['subject', 'subjectId', 'dueAt'], { unique: true })
export class QuotaResetEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** `token` or `user`. */
  @Column({ type: 'varchar', length: 8 })
  subject: SubjectKind;

  @Column({ name: 'subject_id', type: 'integer' })
  subjectId: number;

  /** `daily`, `weekly` or `monthly`. */
  @Column({ type: 'varchar', length: 8 })
  period: string;

  /** The period boundary it applied (unix seconds). */
  @Column({ name: 'due_at', type: 'bigint', transformer: bigintNumber })
  dueAt: number;

  /** When it was applied (unix seconds): later than `due_at` when the instances were down at the boundary. */
  @Column({ name: 'done_at', type: 'bigint', transformer: bigintNumber })
  doneAt: number;

  /** What the balance held before, leases included (null = unknown). */
  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  previous: number | null;

  /** What it became. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  amount: number;
}
