import { BadRequestException } from '@nestjs/common';
import { utcOffsetMinutes } from '../common/utc-offset';
import { DAY_MS, formatUtcDay, formatUtcHour, HOUR_MS, RollupGrain } from './usage-days';

/** Longest report range, in days. */
export const MAX_RANGE_DAYS = 366;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A half-open range of whole days: `from` inclusive, `to` exclusive, each day a local day at
 * `offsetMinutes` (UTC days when 0).
 */
export interface DayRange {
  /** `YYYY-MM-DD`, inclusive (a local date at `offsetMinutes`). */
  from: string;
  /** `YYYY-MM-DD`, exclusive (a local date at `offsetMinutes`). */
  to: string;
  /** Local midnight starting `from`, as a UTC instant. */
  fromTime: Date;
  /** Local midnight starting `to`, as a UTC instant. */
  toTime: Date;
  /** Minutes east of UTC of the days (see {@link parseTzOffset}). */
  offsetMinutes: number;
}

function parseDay(name: string, value: string): number {
  const m = DATE.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!date || formatUtcDay(date) !== value) {
    throw new BadRequestException(`${name} must be a date YYYY-MM-DD (got ${JSON.stringify(value).slice(0, 40)})`);
  }
  return date.getTime();
}

/**
 * The report range of `?from&to`: dates `YYYY-MM-DD`, `from` inclusive, `to` exclusive, local to
 * `offsetMinutes` (see {@link parseTzOffset}; UTC when 0). No parameters: the current local month.
 * `from` alone: up to now, i.e. to the end of the current local day. `to` alone: from the first day
 * of the current local month. `from == to` is an empty range. `fromTime`/`toTime` are the local
 * midnights as UTC instants; `from`/`to` keep the local dates.
 * @throws BadRequestException (400) naming the parameter: malformed or impossible date
 *   (`from must be a date YYYY-MM-DD`), `from` after `to`, or a range over {@link MAX_RANGE_DAYS} days.
 */
export function parseDayRange(from: string | undefined, to: string | undefined, now = new Date(), offsetMinutes = 0): DayRange {
  const shift = offsetMinutes * 60_000;
  const local = new Date(now.getTime() + shift); // the local wall clock, read with getUTC*
  const today = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const monthStart = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1);
  const nextMonth = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1);
  const fromDay = from === undefined ? monthStart : parseDay('from', from);
  const toDay = to !== undefined ? parseDay('to', to) : from !== undefined ? today + DAY_MS : nextMonth;
  if (fromDay > toDay) {
    throw new BadRequestException(`from must not be after to (from ${formatUtcDay(new Date(fromDay))}, to ${formatUtcDay(new Date(toDay))})`);
  }
  if (toDay - fromDay > MAX_RANGE_DAYS * DAY_MS) {
    throw new BadRequestException(`to must be at most ${MAX_RANGE_DAYS} days after from`);
  }
  return {
    from: formatUtcDay(new Date(fromDay)),
    to: formatUtcDay(new Date(toDay)),
    fromTime: new Date(fromDay - shift),
    toTime: new Date(toDay - shift),
    offsetMinutes,
  };
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
export function rangePeriods(range: Pick<DayRange, 'fromTime' | 'toTime'>): Record<RollupGrain, string[]> {
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

/**
 * `?tz=` as minutes east of UTC: `Z`/`UTC` → 0, `+08:00`, `+0800` or `+08` → 480, `-05:30` → -330
 * (within ±14:00). A leading space stands for `+` (an unencoded `+` in a query string arrives as a
 * space: `?tz=+08:00` reads ` 08:00`). Undefined or empty → 0.
 * @throws BadRequestException (400) `tz must be a UTC offset like +08:00, -05:30 or Z`.
 */
export function parseTzOffset(tz: string | undefined): number {
  if (tz === undefined || tz === '') return 0;
  const minutes = utcOffsetMinutes(tz.startsWith(' ') ? `+${tz.trim()}` : tz);
  if (minutes === undefined) throw new BadRequestException('tz must be a UTC offset like +08:00, -05:30 or Z');
  return minutes;
}

/**
 * `?tz=` of a rollup report (`/1/usages`, `/1/me/usages`, `/1/usages/daily`): as
 * {@link parseTzOffset}, and a whole number of hours, since the finest rollup (`usage_hourly`)
 * is hourly.
 * @throws BadRequestException (400) a malformed offset, or one with minutes (`+05:30`), naming the
 *   offsets that work.
 */
export function parseRollupTz(tz: string | undefined): number {
  const minutes = parseTzOffset(tz);
  if (minutes % 60 !== 0) {
    throw new BadRequestException(
      `tz: usage rollups are hourly, so /1/usages, /1/me/usages and /1/usages/daily take whole-hour offsets only ` +
        `(Z, or -14:00 to +14:00 in whole hours, e.g. +08:00, -05:00); ${tz!.trim()} works on /1/usages/logs and /1/usages/export`,
    );
  }
  return minutes;
}

/** True when `tz` is an offset the rollup reports take (see {@link parseRollupTz}). */
export function isRollupTz(tz: string): boolean {
  try {
    parseRollupTz(tz);
    return true;
  } catch {
    return false;
  }
}

/** A half-open range of UTC hours `[from, to)` as `usage_hourly` keys (`YYYY-MM-DD HH`). */
export interface HourSpan {
  from: string;
  to: string;
}

interface CrossingHours {
  span: HourSpan;
  /** The span's UTC day lies in the range. */
  leaves: boolean;
  /** The span's local day lies in the range. */
  arrives: boolean;
}

/**
 * For each UTC day that touches the range, the hours of it that fall on another local day at a
 * whole-hour offset `o`: east of UTC (o > 0) its last o hours, on the next local day; west its
 * first |o| hours, on the previous local day. Every other hour of a UTC day D is on local day D.
 */
function crossingHours(range: DayRange): CrossingHours[] {
  const o = range.offsetMinutes / 60;
  if (o === 0) return [];
  const first = Date.parse(`${range.from}T00:00:00.000Z`);
  const end = Date.parse(`${range.to}T00:00:00.000Z`);
  const out: CrossingHours[] = [];
  for (let day = first - DAY_MS; day <= end; day += DAY_MS) {
    const [from, to] = o > 0 ? [day + (24 - o) * HOUR_MS, day + DAY_MS] : [day, day - o * HOUR_MS];
    const localDay = day + Math.sign(o) * DAY_MS;
    const leaves = day >= first && day < end;
    const arrives = localDay >= first && localDay < end;
    if (leaves || arrives) out.push({ span: { from: formatUtcHour(new Date(from)), to: formatUtcHour(new Date(to)) }, leaves, arrives });
  }
  return out;
}

/**
 * How the per-user rollups answer a range of local days: the whole UTC periods of the same dates
 * (see {@link rangePeriods}), plus the hours that arrive from outside, minus the hours that leave
 * (only at the two ends: inside the range each hour that leaves one day arrives on the next). At
 * `+08:00` a calendar month is its month row, plus the last 8 hours of the day before, minus the
 * last 8 hours of its last day; at UTC the periods alone.
 */
export function localRangePlan(range: DayRange): { periods: Record<RollupGrain, string[]>; add: HourSpan[]; subtract: HourSpan[] } {
  const crossing = crossingHours(range);
  return {
    periods: rangePeriods({ fromTime: new Date(`${range.from}T00:00:00.000Z`), toTime: new Date(`${range.to}T00:00:00.000Z`) }),
    add: crossing.filter((c) => c.arrives && !c.leaves).map((c) => c.span),
    subtract: crossing.filter((c) => c.leaves && !c.arrives).map((c) => c.span),
  };
}

/**
 * How the daily rollups answer each local day of a range: the UTC day of the same date, minus its
 * hours that `leave` (counted off their own UTC day), plus the hours that `arrive` from the UTC day
 * `shiftDays` before or after (counted on that UTC day shifted by `shiftDays`: +1 east of UTC, -1
 * west, 0 at UTC with no hours).
 */
export function localDaysPlan(range: DayRange): { leave: HourSpan[]; arrive: HourSpan[]; shiftDays: number } {
  const crossing = crossingHours(range);
  return {
    leave: crossing.filter((c) => c.leaves).map((c) => c.span),
    arrive: crossing.filter((c) => c.arrives).map((c) => c.span),
    shiftDays: Math.sign(range.offsetMinutes),
  };
}
