import { BadRequestException } from '@nestjs/common';

/** Longest report range, in days (issue 5). */
export const MAX_RANGE_DAYS = 366;

const DAY_MS = 86_400_000;
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

/** `YYYY-MM-DD` of a date in UTC. */
export function formatUtcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
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
 * The report range of `?from&to` (issue 5): UTC dates `YYYY-MM-DD`, `from` inclusive, `to`
 * exclusive. A missing `from` is the first day of the current UTC month, a missing `to` the first
 * day of the next month (so no parameters = the current month). `from == to` is an empty range.
 * @throws BadRequestException (400) naming the parameter: malformed or impossible date
 *   (`from must be a UTC date YYYY-MM-DD`), `from` after `to`, or a range over {@link MAX_RANGE_DAYS} days.
 */
export function parseDayRange(from: string | undefined, to: string | undefined, now = new Date()): UtcDayRange {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const fromTime = from === undefined ? monthStart : parseDay('from', from);
  const toTime = to === undefined ? nextMonth : parseDay('to', to);
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
