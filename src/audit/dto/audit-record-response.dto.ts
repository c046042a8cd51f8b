import { ApiProperty } from '@nestjs/swagger';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES } from '../audit-actions';
import type { AuditChanges, AuditRecordEntity } from '../entities/audit-record.entity';

/** One audit record as `GET /1/audit` shows it (secrets masked as `***` in `changes`). */
export class AuditRecordDto {
  @ApiProperty({ example: 42, type: 'integer' })
  id: number;

  @ApiProperty({ example: '2025-12-01T09:30:00.123Z', format: 'date-time' })
  createdAt: string;

  /** The user who acted; null for a failed login. */
  @ApiProperty({ example: 1, nullable: true, type: 'integer' })
  actorId: number | null;

  /** The actor's role when it acted: 1 common, 10 admin, 100 root. */
  @ApiProperty({ example: 100, nullable: true, type: 'integer', enum: [1, 10, 100] })
  actorRole: number | null;

  /** The client address (Express's, under `TRUST_PROXY`). */
  @ApiProperty({ example: '203.0.113.7' })
  ip: string;

  /** The request's `X-Request-Id`. */
  @ApiProperty({ example: '5f1c2b9e-8d0a-4c1e-9d43-3c2b1a0f9e77' })
  requestId: string;

  @ApiProperty({ enum: AUDIT_ACTIONS, example: 'user.update' })
  action: string;

  @ApiProperty({ enum: AUDIT_TARGET_TYPES, example: 'user' })
  targetType: string;

  /** The target's id (a user or key id, a model, an SSO app name, or the name a failed login tried). */
  @ApiProperty({ example: '2', nullable: true, type: 'string' })
  targetId: string | null;

  /** The changed fields, `{field: {before, after}}`; null for a login. */
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: { type: 'object', properties: { before: {}, after: {} } },
    example: { quota: { before: null, after: 5000000 }, groups: { before: ['default'], after: ['default', 'vip'] } },
  })
  changes: AuditChanges | null;
}

/** A page of `GET /1/audit`, newest first: `{items, nextCursor}` as `/1/usages/logs`. */
export class AuditPageDto {
  @ApiProperty({ type: AuditRecordDto, isArray: true })
  items: AuditRecordDto[];

  /** Pass as `cursor` for the next (older) page; null on the last page. */
  @ApiProperty({ example: 'MTc2NDU0NzIwMDAwMC40Mg', nullable: true, type: 'string' })
  nextCursor: string | null;
}

/** Maps a stored record to its wire form (`createdAt` ISO-8601 UTC). */
export function toAuditRecord(row: AuditRecordEntity): AuditRecordDto {
  return {
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    actorId: row.actorId,
    actorRole: row.actorRole,
    ip: row.ip,
    requestId: row.requestId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    changes: row.changes,
  };
}
