import type { ResetPeriod } from './entities/policy-columns';

const DAY = 86_400;

/**
 * The first period boundary strictly after `afterSeconds` (unix seconds): the next local midnight
 * (`daily`), the next Monday 00:00 (`weekly`, ISO 8601 weeks) or the next 1st of a month 00:00
 * (`monthly`), local to the UTC offset `offsetMinutes`. Null for `never`.
 */
export function nextResetAt(period: ResetPeriod, offsetMinutes: number, afterSeconds: number): number | null {
  if (period === 'never') return null;
  const shift = offsetMinutes * 60;
  const local = afterSeconds + shift; // seconds on the local wall clock, read as if UTC
  const dayStart = Math.floor(local / DAY) * DAY;
  let next: number;
  if (period === 'daily') next = dayStart + DAY;
  else if (period === 'weekly') {
    const weekday = (new Date(dayStart * 1000).getUTCDay() + 6) % 7; // Monday = 0
    next = dayStart + (7 - weekday) * DAY;
  } else {
    const d = new Date(dayStart * 1000);
    next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
  }
  return next - shift;
}
