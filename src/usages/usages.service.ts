import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, SelectQueryBuilder } from 'typeorm';
import { isAdmin, Principal } from '../common/auth/principal';
import { DailyUsageDto, toUsageLog, UsageLogPageDto, UserUsageDto } from './dto/usage-response.dto';
import { UsageDailyQueryDto, UsageExportQueryDto, UsageLogsQueryDto, UsageRangeQueryDto, UsageSummaryQueryDto } from './dto/usage-query.dto';
import { UsageRecordEntity } from './entities/usage-record.entity';
import { costToUnits, formatCost } from './usage-cost';
import { parseDayRange, parseTzOffset, rangePeriods, toSqlUtc, UtcDayRange } from './usage-range';

/** Rows fetched per query while streaming an export. */
export const EXPORT_BATCH_SIZE = 1000;

/** Columns of the CSV export, in order. */
export const CSV_COLUMNS = [
  'id',
  'created_at',
  'user_id',
  'token_id',
  'key_id',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'cost_usd',
  'quota',
  'status_code',
  'is_stream',
  'latency_ms',
  'request_id',
] as const;

/**
 * The user a request may read: admins any (`requested`, or all when undefined); a common user
 * only themself, whatever they pass.
 * @throws ForbiddenException (403) a common user asking for another user's id (`user_id`).
 */
export function scopeUserId(principal: Principal, requested: number | undefined): number | undefined {
  if (isAdmin(principal)) return requested;
  if (requested !== undefined && requested !== principal.userId) {
    throw new ForbiddenException('user_id: common users can read only their own usage');
  }
  return principal.userId;
}

/**
 * The range of a rollup report: its days are UTC days, so only a zero `tz` is accepted.
 * @throws BadRequestException (400) bad dates, or a non-zero `tz`.
 */
function rollupRange(query: UsageRangeQueryDto): UtcDayRange {
  if (parseTzOffset(query.tz) !== 0) {
    throw new BadRequestException('tz: rollup reports are per UTC day; a non-zero tz is accepted only by /1/usages/logs and /1/usages/export');
  }
  return parseDayRange(query.from, query.to);
}

/** RFC 4180 field; text that a spreadsheet would run as a formula is prefixed with `'`. */
function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Usage reports. `/1/usages` reads the `usage_period_user` rollup, `/daily` the `usage_daily`
 * rollup, never raw records; `/logs`
 * and the export read raw records through their indexes. Every method takes the principal and
 * scopes by it (see {@link scopeUserId}).
 */
@Injectable()
export class UsagesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(UsageRecordEntity) private readonly records: Repository<UsageRecordEntity>,
  ) {}

  private get mysql(): boolean {
    return this.dataSource.driver.options.type === 'mysql';
  }

  /**
   * SQL summing `cost_usd` exactly: MySQL DECIMAL sums are exact; SQLite stores REAL, so each
   * value is first made an integer of 1e-10 USD (read back by {@link costToUnits}).
   */
  private costSum(column = 'cost_usd'): string {
    return this.mysql ? `SUM(${column})` : `SUM(CAST(ROUND(${column} * 10000000000) AS INTEGER))`;
  }

  private costUnits(raw: unknown): bigint {
    if (raw === null || raw === undefined) return 0n;
    return this.mysql ? costToUnits(raw as string) : BigInt(Math.round(Number(raw)));
  }

  /**
   * Cost and tokens per user over a UTC range, from the per-user day/week/month rollup `usage_period_user` (the range split into whole periods): seed 003's
   * `[{cost: "0.000110", userId: 1, totalUnit: 55}]`, ordered by user id, users without usage omitted.
   * Admins see every user (or `user_id`); common users only themselves.
   * @throws BadRequestException (400) bad range; ForbiddenException (403) another user's id.
   */
  async summary(principal: Principal, query: UsageSummaryQueryDto): Promise<UserUsageDto[]> {
    const range = rollupRange(query);
    const userId = scopeUserId(principal, query.user_id);
    return this.summarize(range, userId);
  }

  /** The caller's own usage over a range: always one element (zeros when none). */
  async mine(principal: Principal, query: UsageSummaryQueryDto): Promise<UserUsageDto[]> {
    const range = rollupRange(query);
    const rows = await this.summarize(range, principal.userId);
    return rows.length > 0 ? rows : [{ cost: formatCost(0n), userId: principal.userId, totalUnit: 0 }];
  }

  private async summarize(range: UtcDayRange, userId: number | undefined): Promise<UserUsageDto[]> {
    const periods = rangePeriods(range);
    const params: unknown[] = [];
    const parts: string[] = [];
    for (const grain of ['D', 'W', 'M'] as const) {
      if (periods[grain].length === 0) continue;
      parts.push(`(grain = ? AND period_start IN (${periods[grain].map(() => '?').join(', ')}))`);
      params.push(grain, ...periods[grain]);
    }
    if (parts.length === 0) return [];
    let where = `(${parts.join(' OR ')})`;
    if (userId !== undefined) {
      where += ' AND user_id = ?';
      params.push(userId);
    }
    // ORDER BY NULL: no sort in SQL (MariaDB would filesort the grouped rows); sorted here instead
    const rows: { user_id: number | string; total: number | string | null; cost: unknown }[] = await this.dataSource.query(
      `SELECT user_id, SUM(total_tokens) AS total, ${this.costSum()} AS cost FROM usage_period_user WHERE ${where} GROUP BY user_id${this.mysql ? ' ORDER BY NULL' : ''}`,
      params,
    );
    return rows
      .map((r) => ({ cost: formatCost(this.costUnits(r.cost)), userId: Number(r.user_id), totalUnit: Number(r.total ?? 0) }))
      .sort((a, b) => a.userId - b.userId);
  }

  /**
   * Per UTC day and model over a range, from the rollup (summed over tokens, and over users unless
   * one is selected): requests, tokens, cost (6 decimals), quota. Ordered by day then model.
   * @throws BadRequestException (400) bad range; ForbiddenException (403) another user's id.
   */
  async daily(principal: Principal, query: UsageDailyQueryDto): Promise<DailyUsageDto[]> {
    const range = rollupRange(query);
    const userId = scopeUserId(principal, query.user_id);
    const params: unknown[] = [range.from, range.to];
    let where = 'day >= ? AND day < ?';
    if (userId !== undefined) {
      where += ' AND user_id = ?';
      params.push(userId);
    }
    if (query.token_id !== undefined) {
      where += ' AND token_id = ?';
      params.push(query.token_id);
    }
    if (query.model !== undefined) {
      where += ' AND model = ?';
      params.push(query.model);
    }
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT day, model, SUM(requests) AS requests, SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion, ' +
        `SUM(total_tokens) AS total, ${this.costSum()} AS cost, SUM(quota) AS quota FROM usage_daily WHERE ${where} ` +
        'GROUP BY day, model ORDER BY day, model',
      params,
    );
    return rows.map((r) => ({
      day: String(r.day),
      model: String(r.model),
      requests: Number(r.requests),
      promptTokens: Number(r.prompt),
      completionTokens: Number(r.completion),
      totalTokens: Number(r.total),
      cost: formatCost(this.costUnits(r.cost)),
      quota: Number(r.quota),
    }));
  }

  private filtered(principal: Principal, query: UsageExportQueryDto | UsageLogsQueryDto, range?: UtcDayRange): SelectQueryBuilder<UsageRecordEntity> {
    const userId = scopeUserId(principal, query.user_id);
    const qb = this.records.createQueryBuilder('r');
    if (userId !== undefined) qb.andWhere('r.user_id = :userId', { userId });
    if (query.token_id !== undefined) qb.andWhere('r.token_id = :tokenId', { tokenId: query.token_id });
    if (query.model !== undefined) qb.andWhere('r.model = :model', { model: query.model });
    if (query.status !== undefined) qb.andWhere('r.status_code = :status', { status: query.status });
    if (range) {
      qb.andWhere('r.created_at >= :fromTime AND r.created_at < :toTime', {
        fromTime: toSqlUtc(range.fromTime),
        toTime: toSqlUtc(range.toTime),
      });
    }
    return qb;
  }

  /**
   * Raw records, newest first (by id), filtered by user (forced to the caller for common users),
   * token, model, status and an optional UTC range. Keyset pagination with `cursor` (stable while
   * records are added), else page `p` of `size` (default 1 of 20).
   * @throws BadRequestException (400) bad range; ForbiddenException (403) another user's id.
   */
  async logs(principal: Principal, query: UsageLogsQueryDto): Promise<UsageLogPageDto> {
    const offset = parseTzOffset(query.tz);
    const range = query.from !== undefined || query.to !== undefined ? parseDayRange(query.from, query.to, new Date(), offset) : undefined;
    const size = query.size ?? 20;
    const qb = this.filtered(principal, query, range).orderBy('r.id', 'DESC').limit(size + 1);
    let page: number | null = null;
    if (query.cursor !== undefined) qb.andWhere('r.id < :cursor', { cursor: query.cursor });
    else {
      page = query.p ?? 1;
      qb.offset((page - 1) * size);
    }
    let rows: UsageRecordEntity[];
    if (page !== null && page > 1) {
      // deferred join: page through ids only (the filter's index holds them), then load that page's rows
      const ids = (await qb.select('r.id', 'id').getRawMany<{ id: number | string }>()).map((r) => Number(r.id));
      rows = ids.length === 0 ? [] : await this.records.find({ where: { id: In(ids) }, order: { id: 'DESC' } });
    } else rows = await qb.getMany();
    const items = rows.slice(0, size).map(toUsageLog);
    const nextCursor = rows.length > size ? items[items.length - 1].id : null;
    return { items, nextCursor, page, size };
  }

  /**
   * Validates an export request up front (so errors are real 400/403 before any byte is sent) and
   * returns the CSV as an async stream of chunks: a header line, then records oldest first, fetched
   * {@link EXPORT_BATCH_SIZE} at a time by keyset on (created_at, id); never the whole set in memory.
   * @throws BadRequestException (400) bad range; ForbiddenException (403) another user's id.
   */
  exportCsv(principal: Principal, query: UsageExportQueryDto): { range: UtcDayRange; chunks: AsyncGenerator<string> } {
    const range = parseDayRange(query.from, query.to, new Date(), parseTzOffset(query.tz));
    this.filtered(principal, query, range); // scope check now, not mid-stream
    const self = this;
    async function* chunks(): AsyncGenerator<string> {
      yield `${CSV_COLUMNS.join(',')}\r\n`;
      let after: { createdAt: string; id: number } | undefined;
      for (;;) {
        const qb = self.filtered(principal, query, range).orderBy('r.created_at', 'ASC').addOrderBy('r.id', 'ASC').limit(EXPORT_BATCH_SIZE);
        if (after) qb.andWhere('(r.created_at > :afterTime OR (r.created_at = :afterTime AND r.id > :afterId))', { afterTime: after.createdAt, afterId: after.id });
        const rows = await qb.getMany();
        if (rows.length === 0) return;
        yield rows
          .map((r) =>
            [
              r.id,
              r.createdAt.toISOString(),
              r.userId,
              r.tokenId,
              r.keyId,
              r.model,
              r.promptTokens,
              r.completionTokens,
              r.totalTokens,
              formatCost(costToUnits(r.costUsd), 10),
              r.quota,
              r.statusCode,
              Boolean(r.isStream),
              r.latencyMs,
              r.requestId,
            ]
              .map(csvField)
              .join(',') + '\r\n',
          )
          .join('');
        if (rows.length < EXPORT_BATCH_SIZE) return;
        const last = rows[rows.length - 1];
        after = { createdAt: toSqlUtc(last.createdAt), id: last.id };
      }
    }
    return { range, chunks: chunks() };
  }
}
