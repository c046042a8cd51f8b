import { BadRequestException } from '@nestjs/common';
import { periodStarts } from './usage-days';
import { parseDayRange, parseTzOffset, rangePeriods, toSqlUtc } from './usage-range';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestException);
    return (e as BadRequestException).message;
  }
  throw new Error('expected a BadRequestException');
}

describe('parseDayRange', () => {
  const now = new Date('2024-02-15T23:59:59.999Z');

  it('defaults to the current UTC month, to exclusive', () => {
    expect(parseDayRange(undefined, undefined, now)).toMatchObject({ from: '2024-02-01', to: '2024-03-01' });
    expect(parseDayRange(undefined, undefined, new Date('2023-12-31T12:00:00Z'))).toMatchObject({ from: '2023-12-01', to: '2024-01-01' });
  });

  it('accepts the seed range and gives UTC midnights', () => {
    const r = parseDayRange('2023-03-18', '2023-04-18', now);
    expect(r.fromTime.toISOString()).toBe('2023-03-18T00:00:00.000Z');
    expect(r.toTime.toISOString()).toBe('2023-04-18T00:00:00.000Z');
    expect(parseDayRange('2023-03-18', '2023-03-18', now).from).toBe('2023-03-18');
  });

  it('400 naming the parameter for malformed or impossible dates', () => {
    expect(message(() => parseDayRange('2023-3-18', '2023-04-18'))).toMatch(/^from /);
    expect(message(() => parseDayRange('2023-03-18', '2023-02-30'))).toMatch(/^to /);
    expect(message(() => parseDayRange('2023-03-18T00:00', undefined))).toMatch(/^from /);
  });

  it('400 when from is after to, or the range is over 366 days', () => {
    expect(message(() => parseDayRange('2023-04-18', '2023-03-18'))).toMatch(/^from must not be after to/);
    expect(parseDayRange('2024-01-01', '2025-01-01').to).toBe('2025-01-01');
    expect(message(() => parseDayRange('2023-01-01', '2024-01-03'))).toMatch(/^to must be at most 366 days/);
  });

  it('formats created_at comparisons in UTC with milliseconds', () => {
    expect(toSqlUtc(new Date('2023-03-18T00:00:00.000Z'))).toBe('2023-03-18 00:00:00.000');
  });
});

describe('rollup periods', () => {
  it('gives day, ISO week (Monday) and month starts', () => {
    expect(periodStarts('2023-03-18')).toEqual({ D: '2023-03-18', W: '2023-03-13', M: '2023-03-01' });
    expect(periodStarts('2023-01-01')).toEqual({ D: '2023-01-01', W: '2022-12-26', M: '2023-01-01' });
  });

  it('a calendar month is one month period', () => {
    expect(rangePeriods(parseDayRange('2024-02-01', '2024-03-01'))).toEqual({ D: [], W: [], M: ['2024-02-01'] });
  });

  it("seed 003's 2023-03-18..2023-04-18 is 2 days, 4 weeks and 1 day, covering each day exactly once", () => {
    const p = rangePeriods(parseDayRange('2023-03-18', '2023-04-18'));
    expect(p).toEqual({ D: ['2023-03-18', '2023-03-19', '2023-04-17'], W: ['2023-03-20', '2023-03-27', '2023-04-03', '2023-04-10'], M: [] });
  });

  it('covers every day of a range exactly once, in at most 14 periods for 31 days and 38 for 366 (every start in 2024)', () => {
    const DAY = 86_400_000;
    const lengths = [...Array.from({ length: 31 }, (_, i) => i + 1), 45, 60, 90, 180, 365, 366];
    for (let from = Date.UTC(2024, 0, 1); from < Date.UTC(2025, 0, 1); from += DAY) {
      for (const days of lengths) {
        const to = from + days * DAY;
        const p = rangePeriods({ fromTime: new Date(from), toTime: new Date(to) });
        const covered: number[] = [];
        for (const d of p.D) covered.push(Date.parse(d));
        for (const w of p.W) for (let k = 0; k < 7; k++) covered.push(Date.parse(w) + k * DAY);
        for (const m of p.M) {
          const s = new Date(m);
          for (let t = s.getTime(); t < Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 1); t += DAY) covered.push(t);
        }
        covered.sort((a, b) => a - b);
        const expected: number[] = [];
        for (let t = from; t < to; t += DAY) expected.push(t);
        expect(covered).toEqual(expected);
        const periods = p.D.length + p.W.length + p.M.length;
        expect(periods).toBeLessThanOrEqual(days <= 31 ? 14 : 38);
      }
    }
  });
});
