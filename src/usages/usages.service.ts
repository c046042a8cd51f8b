import { ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, SelectQueryBuilder } from 'typeorm';
import { isAdmin, Principal } from '../common/auth/principal';
import type { EnvironmentVariables } from '../config/env.validation';
import { DailyUsageDto, toUsageLog, UsageLogPageDto, UserUsageDto } from './dto/usage-response.dto';
import { UsageDailyQueryDto, UsageExportQueryDto, UsageLogsQueryDto, UsageRangeQueryDto, UsageSummaryQueryDto } from './dto/usage-query.dto';
import { UsageRecordEntity } from './entities/usage-record.entity';
import { costToUnits, formatCost } from './usage-cost';
import { DayRange, HourSpan, localDaysPlan, localRangePlan, parseDayRange, parseRollupTz, parseTzOffset } from './usage-range';
import { toSqlUtc } from '../database/sql-utc';

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

/** RFC 4180 field; text that a spreadsheet would run as a formula is prefixed with `'`. */
function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `(hour_start >= ? AND hour_start < ?) OR ...` over `spans`, and its parameters. */
function spansWhere(spans: HourSpan[]): { sql: string; params: string[] } {
  return { sql: `(${spans.map(() => '(hour_start >= ? AND hour_start < ?)').join(' OR ')})`, params: spans.flatMap((s) => [s.from, s.to]) };
}

/**
 * Usage reports. `/1/usages` and `/1/me/usages` read the `usage_period_user` rollup, `/daily` the
 * `usage_daily` rollup, both with `usage_hourly` for local days off UTC (`tz`, else `USAGE_TZ`),
 * never raw records; `/logs` and the export read raw records through their indexes. Every method
 * takes the principal and scopes by it (see {@link scopeUserId}).
 */
@Injectable()
export class UsagesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(UsageRecordEntity) private readonly records: Repository<UsageRecordEntity>,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  /** `?tz=`, or `USAGE_TZ` when the request gives none (or an empty one). */
  private tz(tz: string | undefined): string | undefined {
    return tz === undefined || tz === '' ? this.config.get('USAGE_TZ', { infer: true }) : tz;
  }

  /**
   * The range of a rollup report, in local days of a whole-hour offset.
   * @throws BadRequestException (400) bad dates, or an offset the rollups cannot answer (`+05:30`).
   */
  private rollupRange(query: UsageRangeQueryDto): DayRange {
    return parseDayRange(query.from, query.to, new Date(), parseRollupTz(this.tz(query.tz)));
  }

  private get mysql(): boolean {
    return this.dataSource.driver.options.type === 'mysql';
  }

  /**
   * SQL summing `cost_usd` exactly: MySQL DECIMAL sums are exact; SQLite stores REAL, so each
   * value is first made an integer of 1e-10 USD (read back by {@link costToUnits}).
   */
  private costSum(column = 'cost_usd'): string {
    return `SUM(${this.costValue(column)})`;
  }

  /** One row's `cost_usd` in the form {@link costSum} adds up. */
  private costValue(column = 'cost_usd'): string {
    return this.mysql ? column : `CAST(ROUND(${column} * 10000000000) AS INTEGER)`;
  }

  private costUnits(raw: unknown): bigint {
    if (raw === null || raw === undefined) return 0n;
    return this.mysql ? costToUnits(raw as string) : BigInt(Math.round(Number(raw)));
  }

  /**
   * Cost and tokens per user over a range of days (UTC, or local to `tz`): seed 003's
   * `[{cost: "0.000110", userId: 1, totalUnit: 55}]`, ordered by user id, users without usage omitted.
   * Read from the per-user day/week/month rollup `usage_period_user` (the dates split into whole
   * periods) and, off UTC, the hours of `usage_hourly` at both ends (see {@link localRangePlan}).
   * Admins see every user (or `user_id`); common users only themselves.
   * @throws BadRequestException (400) bad range or tz; ForbiddenException (403) another user's id.
   */
  async summary(principal: Principal, query: UsageSummaryQueryDto): Promise<UserUsageDto[]> {
    const range = this.rollupRange(query);
    const userId = scopeUserId(principal, query.user_id);
    return this.summarize(range, userId);
  }

  /** The caller's own usage over a range: always one element (zeros when none). */
  async mine(principal: Principal, query: UsageSummaryQueryDto): Promise<UserUsageDto[]> {
    const range = this.rollupRange(query);
    const rows = await this.summarize(range, principal.userId);
    return rows.length > 0 ? rows : [{ cost: formatCost(0n), userId: principal.userId, totalUnit: 0 }];
  }

  private async summarize(range: DayRange, userId: number | undefined): Promise<UserUsageDto[]> {
    const plan = localRangePlan(range);
    const user = userId === undefined ? '' : ' AND user_id = ?';
    const userParams = userId === undefined ? [] : [userId];
    const parts: string[] = [];
    const params: unknown[] = [];
    const periods: string[] = [];
    for (const grain of ['D', 'W', 'M'] as const) {
      if (plan.periods[grain].length === 0) continue;
      periods.push(`(grain = ? AND period_start IN (${plan.periods[grain].map(() => '?').join(', ')}))`);
      params.push(grain, ...plan.periods[grain]);
    }
    if (periods.length === 0) return []; // from == to
    parts.push(
      `SELECT user_id, SUM(requests) AS requests, SUM(total_tokens) AS total, ${this.costSum()} AS cost FROM usage_period_user ` +
        `WHERE (${periods.join(' OR ')})${user} GROUP BY user_id`,
    );
    params.push(...userParams);
    // hour rows go in ungrouped: grouped here, SQLite would walk the user index for its order
    // instead of the hour range of the primary key
    for (const [sign, spans] of [['', plan.add], ['-', plan.subtract]] as const) {
      if (spans.length === 0) continue;
      const where = spansWhere(spans);
      parts.push(
        `SELECT user_id, ${sign}requests AS requests, ${sign}total_tokens AS total, ${sign}${this.costValue()} AS cost ` +
          `FROM usage_hourly WHERE ${where.sql}${user}`,
      );
      params.push(...where.params, ...userParams);
    }
    // ORDER BY NULL: no sort in SQL (MariaDB would filesort the grouped rows); sorted here instead.
    // Without hours (UTC days) the periods' own grouping is the answer.
    const sql =
      parts.length === 1
        ? parts[0]
        : `SELECT user_id, SUM(total) AS total, SUM(cost) AS cost FROM (${parts.join(' UNION ALL ')}) u GROUP BY user_id HAVING SUM(requests) <> 0`;
    const rows: { user_id: number | string; total: number | string | null; cost: unknown }[] = await this.dataSource.query(
      `${sql}${this.mysql ? ' ORDER BY NULL' : ''}`,
      params,
    );
    return rows
      .map((r) => ({ cost: formatCost(this.costUnits(r.cost)), userId: Number(r.user_id), totalUnit: Number(r.total ?? 0) }))
      .sort((a, b) => a.userId - b.userId);
  }

  /**
   * Per day (UTC, or local to `tz`) and model over a range, from the rollups (summed over tokens,
   * and over users unless one is selected): requests, tokens, cost (6 decimals), quota. Ordered by
   * day then model; days without requests omitted. Off UTC each local day is its date's UTC day
   * in `usage_daily` less the hours of it that fall on another local day, plus those that fall on
   * it from the UTC day before or after (`usage_hourly`, see {@link localDaysPlan}).
   * @throws BadRequestException (400) bad range or tz; ForbiddenException (403) another user's id.
   */
  async daily(principal: Principal, query: UsageDailyQueryDto): Promise<DailyUsageDto[]> {
    const range = this.rollupRange(query);
    const userId = scopeUserId(principal, query.user_id);
    let filter = '';
    const filterParams: unknown[] = [];
    if (userId !== undefined) {
      filter += ' AND user_id = ?';
      filterParams.push(userId);
    }
    if (query.token_id !== undefined) {
      filter += ' AND token_id = ?';
      filterParams.push(query.token_id);
    }
    if (query.model !== undefined) {
      filter += ' AND model = ?';
      filterParams.push(query.model);
    }
    const sums = (sign: '' | '-') =>
      `${sign}SUM(requests) AS requests, ${sign}SUM(prompt_tokens) AS prompt, ${sign}SUM(completion_tokens) AS completion, ` +
      `${sign}SUM(total_tokens) AS total, ${sign}${this.costSum()} AS cost, ${sign}SUM(quota) AS quota`;
    const parts = [`SELECT day, model, ${sums('')} FROM usage_daily WHERE day >= ? AND day < ?${filter} GROUP BY day, model`];
    const params: unknown[] = [range.from, range.to, ...filterParams];
    const plan = localDaysPlan(range);
    const utcDay = 'SUBSTR(hour_start, 1, 10)';
    for (const [sign, spans, day] of [
      ['-', plan.leave, utcDay],
      ['', plan.arrive, this.shiftDay(utcDay, plan.shiftDays)],
    ] as const) {
      if (spans.length === 0) continue;
      const where = spansWhere(spans);
      parts.push(`SELECT ${day} AS day, model, ${sums(sign)} FROM usage_hourly WHERE ${where.sql}${filter} GROUP BY ${day}, model`);
      params.push(...where.params, ...filterParams);
    }
    // without hours (UTC days) the days' own grouping is the answer
    const sql =
      parts.length === 1
        ? parts[0]
        : 'SELECT day, model, SUM(requests) AS requests, SUM(prompt) AS prompt, SUM(completion) AS completion, SUM(total) AS total, ' +
          `SUM(cost) AS cost, SUM(quota) AS quota FROM (${parts.join(' UNION ALL ')}) d GROUP BY day, model HAVING SUM(requests) <> 0`;
    const rows: Record<string, unknown>[] = await this.dataSource.query(`${sql} ORDER BY day, model`, params);
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

  /** SQL for the `YYYY-MM-DD` day `days` after the day `expr` (a `YYYY-MM-DD` text). */
  private shiftDay(expr: string, days: number): string {
    return this.mysql ? `DATE_FORMAT(DATE_ADD(${expr}, INTERVAL ${days} DAY), '%Y-%m-%d')` : `date(${expr}, '${days >= 0 ? '+' : ''}${days} days')`;
  }

  private filtered(principal: Principal, query: UsageExportQueryDto | UsageLogsQueryDto, range?: DayRange): SelectQueryBuilder<UsageRecordEntity> {
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
   * token, model, status and an optional range of days (local to `tz`). Keyset pagination with `cursor` (stable while
   * records are added), else page `p` of `size` (default 1 of 20).
   * @throws BadRequestException (400) bad range; ForbiddenException (403) another user's id.
   */
  async logs(principal: Principal, query: UsageLogsQueryDto): Promise<UsageLogPageDto> {
    const offset = parseTzOffset(this.tz(query.tz));
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
  exportCsv(principal: Principal, query: UsageExportQueryDto): { range: DayRange; chunks: AsyncGenerator<string> } {
    const range = parseDayRange(query.from, query.to, new Date(), parseTzOffset(this.tz(query.tz)));
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
