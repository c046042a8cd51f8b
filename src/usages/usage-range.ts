import { BadRequestException } from '@nestjs/common';
import { DAY_MS, formatUtcDay, RollupGrain } from './usage-days';

/** Longest report range, in days. */
export const MAX_RANGE_DAYS = 366;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A half-open UTC range of whole days: `from` inclusive, `to` exclusive. */
export interface UtcDayRange {
  /** `YYYY-MM-DD`, inclusive. */
  from: string;
  /** `YYYY-MM-DD`, exclusive. */
  to: string;
  /** `from` at 00:00:00.000 UTC. */
  fromTime: Date;
  /** `to` at 00:00:00.000 UTC. */
  toTime: Date;
}

function parseDay(name: string, value: string): Date {
  const m = DATE.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!date || formatUtcDay(date) !== value) {
    throw new BadRequestException(`${name} must be a UTC date YYYY-MM-DD (got ${JSON.stringify(value).slice(0, 40)})`);
  }
  return date;
}

/**
 * The report range of `?from&to`: UTC dates `YYYY-MM-DD`, `from` inclusive, `to`
 * exclusive. A missing `from` is the first day of the current UTC month, a missing `to` the first
 * day of the next month (so no parameters = the current month). `from == to` is an empty range.
 * With `offsetMinutes` (see {@link parseTzOffset}) the days are local to that offset: `fromTime` and
 * `toTime` are the local midnights in UTC, while `from`/`to` keep the local dates.
 * @throws BadRequestException (400) naming the parameter: malformed or impossible date
 *   (`from must be a UTC date YYYY-MM-DD`), `from` after `to`, or a range over {@link MAX_RANGE_DAYS} days.
 */
export function parseDayRange(from: string | undefined, to: string | undefined, now = new Date(), offsetMinutes = 0): UtcDayRange {
  const shift = offsetMinutes * 60_000;
  const local = new Date(now.getTime() + shift);
  const monthStart = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1));
  const nextMonth = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1));
  const fromDay = from === undefined ? monthStart : parseDay('from', from);
  const toDay = to === undefined ? nextMonth : parseDay('to', to);
  if (shift !== 0) {
    const range = checked(fromDay, toDay);
    return { ...range, fromTime: new Date(fromDay.getTime() - shift), toTime: new Date(toDay.getTime() - shift) };
  }
  return checked(fromDay, toDay);
}

function checked(fromTime: Date, toTime: Date): UtcDayRange {
  if (fromTime.getTime() > toTime.getTime()) {
    throw new BadRequestException(`from must not be after to (from ${formatUtcDay(fromTime)}, to ${formatUtcDay(toTime)})`);
  }
  if (toTime.getTime() - fromTime.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new BadRequestException(`to must be at most ${MAX_RANGE_DAYS} days after from`);
  }
  return { from: formatUtcDay(fromTime), to: formatUtcDay(toTime), fromTime, toTime };
}

/**
 * A date as the `created_at` column compares it on both dialects: `YYYY-MM-DD HH:mm:ss.SSS` UTC
 * (what TypeORM writes on SQLite; a valid DATETIME(3) literal on MySQL with `timezone: 'Z'`).
 */
export function toSqlUtc(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}



function monthFitsAfter(monthStart: number, end: number): boolean {
  const d = new Date(monthStart);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) <= end;
}

/**
 * Splits `[from, to)` into disjoint whole periods, largest first at each step (a month when one
 * starts here and fits; else a week from a Monday, unless it would step over the start of a month
 * that fits; else a day), so a report reads a few rollup rows per user instead of one per day: a
 * calendar month is 1 period, any 31 days at most 14, 366 days at most 38.
 * @returns period start days by grain; together they cover exactly the days of the range.
 */
export function rangePeriods(range: Pick<UtcDayRange, 'fromTime' | 'toTime'>): Record<RollupGrain, string[]> {
  const out: Record<RollupGrain, string[]> = { D: [], W: [], M: [] };
  const end = range.toTime.getTime();
  let t = range.fromTime.getTime();
  while (t < end) {
    const d = new Date(t);
    const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    if (d.getUTCDate() === 1 && nextMonth <= end) {
      out.M.push(formatUtcDay(d));
      t = nextMonth;
    } else if (d.getUTCDay() === 1 && t + 7 * DAY_MS <= end && (t + 7 * DAY_MS <= nextMonth || !monthFitsAfter(nextMonth, end))) {
      out.W.push(formatUtcDay(d));
      t += 7 * DAY_MS;
    } else {
      out.D.push(formatUtcDay(d));
      t += DAY_MS;
    }
  }
  return out;
}

const TZ = /^(?:Z|UTC|([+-])(\d{2}):?(\d{2}))$/i;

/**
 * `?tz=` as minutes east of UTC: `Z`/`UTC` → 0, `+08:00` or `+0800` → 480, `-05:30` → -330
 * (within ±14:00). Undefined → 0.
 * @throws BadRequestException (400) `tz must be a UTC offset like +08:00, -05:30 or Z`.
 */
export function parseTzOffset(tz: string | undefined): number {
  if (tz === undefined || tz === '') return 0;
  const m = TZ.exec(tz.trim());
  const minutes = m ? (m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0) : NaN;
  if (!m || Math.abs(minutes) > 14 * 60 || (m[3] !== undefined && Number(m[3]) > 59)) {
    throw new BadRequestException('tz must be a UTC offset like +08:00, -05:30 or Z');
  }
  return minutes;
}
