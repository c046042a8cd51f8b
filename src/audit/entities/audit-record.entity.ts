import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { jsonText } from '../../users/entities/json-text.transformer';

/** One changed field of an audit record: its value before and after, secrets masked (see maskChanges). */
export interface FieldChange {
  before: unknown;
  after: unknown;
}

/** The changed fields of an audit record by name; null when the action changes no field (a login). */
export type AuditChanges = Record<string, FieldChange>;

/**
 * One audited action (README, "Audit log"): when (`created_at`,
 * UTC, milliseconds), who (`actor_id`, null for a failed login; `actor_role` 1/10/100 at the time),
 * from which address (`ip`, as Express resolves it under `TRUST_PROXY`), the request id (`X-Request-Id`),
 * what (`action`, e.g. `user.update`), the target (`target_type`, `target_id` as a string) and the changed
 * fields before and after (JSON text, secrets masked). Written in the transaction of the change it records;
 * purged after `AUDIT_RETENTION_DAYS`.
 */
@Entity('audit_records')
@Index('idx_audit_records_created_id', ['createdAt', 'id'])
@Index('idx_audit_records_actor', ['actorId'])
@Index('idx_audit_records_action', ['action'])
export class AuditRecordEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'actor_id', type: 'integer', nullable: true })
  actorId: number | null;

  @Column({ name: 'actor_role', type: 'integer', nullable: true })
  actorRole: number | null;

  @Column({ type: 'varchar', length: 64, default: '' })
  ip: string;

  @Column({ name: 'request_id', type: 'varchar', length: 128, default: '' })
  requestId: string;

  @Column({ type: 'varchar', length: 32 })
  action: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32 })
  targetType: string;

  @Column({ name: 'target_id', type: 'varchar', length: 128, nullable: true })
  targetId: string | null;

  @Column({ type: 'text', nullable: true, transformer: jsonText<AuditChanges | null>(() => null) })
  changes: AuditChanges | null;
}
