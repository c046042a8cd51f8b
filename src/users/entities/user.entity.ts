import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Role } from '../../common/auth/principal';

/**
 * A user of seed 003. The access token (a UUID v4) is never stored in clear:
 * `token_hash` is its HMAC-SHA-256 (lookup), `token_hint` its masked form for display.
 * Deletion is soft (`is_delete`), so usage history keeps its owner; a deleted user's name stays taken.
 */
@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  name: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, nullable: true, unique: true })
  tokenHash: string | null;

  @Column({ name: 'token_hint', type: 'varchar', length: 16 })
  tokenHint: string;

  /** 1 common user, 10 admin, 100 root (new-api's numbers). */
  @Column({ type: 'integer', default: Role.Common })
  role: Role;

  @Column({ name: 'is_delete', type: 'boolean', default: false })
  isDelete: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
