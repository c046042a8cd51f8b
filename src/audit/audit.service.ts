import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ClsService } from 'nestjs-cls';
import { EntityManager, Repository } from 'typeorm';
import { Clock } from '../common/clock';
import { currentRequestContext, RequestContext } from '../common/request-context/request-context';
import { toSqlUtc } from '../database/sql-utc';
import type { AuditAction, AuditTargetType } from './audit-actions';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';
import { AuditQueryDto } from './dto/audit-query.dto';
import { AuditPageDto, toAuditRecord } from './dto/audit-record-response.dto';
import { AuditChanges, AuditRecordEntity } from './entities/audit-record.entity';

/** Default page size of `GET /1/audit`. */
export const AUDIT_PAGE_DEFAULT = 50;

/** One action to record; who, from where and which request come from the request context. */
export interface AuditEntry {
  action: AuditAction;
  targetType: AuditTargetType;
  /** The target's id, name or model; null when there is none. */
  targetId?: string | number | null;
  /** The changed fields from {@link diffViews} (secrets masked there); null for a login. */
  changes?: AuditChanges | null;
  /**
   * Who acted, when it is not the request's principal: the user a login signs in, or nobody (`id: null`)
   * for a failed login.
   */
  actor?: { id: number | null; role: number | null };
}

/**
 * The audit log. {@link record} is the one way to write it, always through the caller's transaction
 * manager, so a change and its record commit or roll back together.
 */
@Injectable()
export class AuditService {
  constructor(
    @InjectRepository(AuditRecordEntity) private readonly records: Repository<AuditRecordEntity>,
    private readonly cls: ClsService<RequestContext>,
    private readonly clock: Clock,
  ) {}

  /**
   * Inserts one record through `manager` (the transaction of the change; a failed change rolls it back):
   * the time from {@link Clock}, the actor (`entry.actor`, else the request's principal, else nobody), the
   * client address and request id from the request context (empty outside a request).
   */
  async record(manager: EntityManager, entry: AuditEntry): Promise<void> {
    const context = currentRequestContext(this.cls);
    const principal = context?.principal;
    const actor = entry.actor ?? { id: principal?.userId ?? null, role: principal?.role ?? null };
    const row = manager.create(AuditRecordEntity, {
      createdAt: new Date(this.clock.now()),
      actorId: actor.id,
      actorRole: actor.role,
      ip: (context?.ip ?? '').slice(0, 64),
      requestId: (context?.requestId ?? '').slice(0, 128),
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId === undefined || entry.targetId === null ? null : String(entry.targetId).slice(0, 128),
      changes: entry.changes ?? null,
    });
    await manager.save(AuditRecordEntity, row, { reload: false });
  }

  /**
   * `GET /1/audit`: one page of records, newest first (by `created_at`, then id), filtered by `query`.
   * The next page starts after the last record of this one (`nextCursor`), so records written meanwhile
   * never shift it.
   * @throws BadRequestException (400) `to` not after `from`, or a `cursor` this route did not give.
   */
  async list(query: AuditQueryDto): Promise<AuditPageDto> {
    if (query.from !== undefined && query.to !== undefined && query.to <= query.from) throw new BadRequestException('to must be after from (unix seconds)');
    const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
    const qb = this.records.createQueryBuilder('a');
    if (query.from !== undefined) qb.andWhere('a.created_at >= :from', { from: toSqlUtc(new Date(query.from * 1000)) });
    if (query.to !== undefined) qb.andWhere('a.created_at < :to', { to: toSqlUtc(new Date(query.to * 1000)) });
    if (query.actor_id !== undefined) qb.andWhere('a.actor_id = :actorId', { actorId: query.actor_id });
    if (query.action !== undefined) qb.andWhere('a.action = :action', { action: query.action });
    if (query.target !== undefined) {
      const split = query.target.indexOf(':');
      qb.andWhere('a.target_type = :targetType', { targetType: split < 0 ? query.target : query.target.slice(0, split) });
      if (split >= 0) qb.andWhere('a.target_id = :targetId', { targetId: query.target.slice(split + 1) });
    }
    if (query.cursor !== undefined) {
      const cursor = decodeAuditCursor(query.cursor);
      const at = toSqlUtc(new Date(cursor.createdAtMs));
      qb.andWhere('(a.created_at < :at OR (a.created_at = :at AND a.id < :id))', { at, id: cursor.id });
    }
    const rows = await qb.orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC').take(limit + 1).getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toAuditRecord),
      nextCursor: rows.length > limit ? encodeAuditCursor({ createdAtMs: last.createdAt.getTime(), id: last.id }) : null,
    };
  }
}
