/**
 * UTC day arithmetic shared by the usage reports and the usage writer (no framework imports, so
 * the metering writer thread can load it).
 */

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/** Milliseconds in an hour. */
export const HOUR_MS = 3_600_000;

/** Rollup grains of `usage_period_user`: a UTC day, an ISO week (Monday start), a calendar month. */
export type RollupGrain = 'D' | 'W' | 'M';

/** `YYYY-MM-DD` of a date in UTC. */
export function formatUtcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Key of the hourly rollup `usage_hourly`: the UTC hour holding `date`, `YYYY-MM-DD HH` (the first
 * 13 characters of the `created_at` text, so keys sort by time).
 */
export function formatUtcHour(date: Date): string {
  return date.toISOString().slice(0, 13).replace('T', ' ');
}

/** Start day (`YYYY-MM-DD`) of the day, ISO week and month holding `day`. */
export function periodStarts(day: string): Record<RollupGrain, string> {
  const date = new Date(`${day}T00:00:00.000Z`);
  const monday = new Date(date.getTime() - ((date.getUTCDay() + 6) % 7) * DAY_MS);
  return { D: day, W: formatUtcDay(monday), M: `${day.slice(0, 7)}-01` };
}
