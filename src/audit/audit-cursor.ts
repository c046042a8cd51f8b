import { BadRequestException } from '@nestjs/common';

/** Where a page of the audit log ended: the last record's `created_at` (unix milliseconds) and id. */
export interface AuditCursor {
  createdAtMs: number;
  id: number;
}

/** The opaque `nextCursor` of a page: base64url of `<created_at ms>.<id>`. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(`${cursor.createdAtMs}.${cursor.id}`).toString('base64url');
}

/**
 * Reads a `cursor` query value that {@link encodeAuditCursor} made.
 * @throws BadRequestException (400) naming `cursor` for anything else.
 */
export function decodeAuditCursor(value: string): AuditCursor {
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString('latin1'));
  const cursor = match ? { createdAtMs: Number(match[1]), id: Number(match[2]) } : undefined;
  if (!cursor || !Number.isSafeInteger(cursor.id) || encodeAuditCursor(cursor) !== value) {
    throw new BadRequestException('cursor must be the nextCursor of a previous page of GET /1/audit');
  }
  return cursor;
}
