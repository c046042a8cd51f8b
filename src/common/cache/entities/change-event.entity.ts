import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintNumber } from '../../../database/column-transformers';

/**
 * One published invalidation in the shared change feed (`change_events`): every instance polls
 * rows after the last id it has seen, so a change made on one instance reaches the caches of the
 * others without Redis. Rows are purged a few minutes after `created_at` (unix milliseconds).
 */
@Entity('change_events')
@Index('idx_change_events_created_at', ['createdAt'])
export class ChangeEventEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** Random id of the event, shared with its Redis message so an instance applies it once. */
  @Column({ type: 'varchar', length: 36 })
  uid: string;

  /** The instance that published it (it applied the event already). */
  @Column({ type: 'varchar', length: 36 })
  origin: string;

  /** `token`, `key`, `user`, `price`, `session`, ... (see Invalidation). */
  @Column({ type: 'varchar', length: 32 })
  topic: string;

  /** The changed row's id, or null for "every row of the topic". */
  @Column({ type: 'varchar', length: 64, nullable: true })
  ref: string | null;

  /** Unix milliseconds. */
  @Column({ name: 'created_at', type: 'bigint', transformer: bigintNumber })
  createdAt: number;
}
