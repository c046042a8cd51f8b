import { BadRequestException } from '@nestjs/common';
import { periodStarts } from './usage-days';
import { HourSpan, localDaysPlan, localRangePlan, parseDayRange, parseRollupTz, parseTzOffset, rangePeriods } from './usage-range';
import { toSqlUtc } from '../database/sql-utc';

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

  it('from alone runs to the end of the current local day; the defaults follow the local month', () => {
    expect(parseDayRange('2023-03-18', undefined, now)).toMatchObject({ from: '2023-03-18', to: '2024-02-16' });
    // 2024-02-15T23:59:59.999Z is already 2024-02-16 on +08:00, and 2024-02-15 on -05:00
    const east = parseDayRange('2024-02-01', undefined, now, 480);
    expect(east).toMatchObject({ to: '2024-02-17', offsetMinutes: 480 });
    expect(east.toTime.toISOString()).toBe('2024-02-16T16:00:00.000Z');
    expect(parseDayRange('2024-02-01', undefined, now, -300)).toMatchObject({ to: '2024-02-16' });
    expect(parseDayRange(undefined, undefined, new Date('2024-02-29T20:00:00Z'), 480)).toMatchObject({ from: '2024-03-01', to: '2024-04-01' });
    expect(message(() => parseDayRange('2024-02-18', undefined, now))).toMatch(/^from must not be after to/);
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

describe('tz', () => {
  it('reads offsets as minutes east of UTC, a leading space as + (an unencoded + in a query)', () => {
    expect([undefined, '', 'Z', 'utc', '+00:00'].map(parseTzOffset)).toEqual([0, 0, 0, 0, 0]);
    expect(['+08:00', '+0800', '+08', ' 08:00', '-05:00', '-05:30', '+14:00'].map(parseTzOffset)).toEqual([480, 480, 480, 480, -300, -330, 840]);
    for (const bad of ['Mars', '08:00', '+15:00', '+08:60', '+8', 'Asia/Shanghai']) expect(message(() => parseTzOffset(bad))).toMatch(/^tz must be a UTC offset/);
  });

  it('rollup reports take whole hours only, and the 400 names the offsets that work', () => {
    expect(parseRollupTz('-05:00')).toBe(-300);
    expect(parseRollupTz(undefined)).toBe(0);
    for (const partial of ['+05:30', '+05:45', '-09:30']) {
      expect(message(() => parseRollupTz(partial))).toMatch(/^tz: usage rollups are hourly, .*whole-hour offsets only .*e\.g\. \+08:00, -05:00\); .* works on \/1\/usages\/logs/);
    }
  });
});

describe('local days from the rollups', () => {
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  const key = (t: number) => new Date(t).toISOString().slice(0, 13).replace('T', ' ');
  // one made-up count per UTC hour of 2024-01-20 .. 2024-04-10, every hour distinct
  const start = Date.UTC(2024, 0, 20);
  const hours = new Map<string, number>();
  for (let t = start, i = 1; t < Date.UTC(2024, 3, 10); t += HOUR, i++) hours.set(key(t), i * 7 + (i % 13));
  const inSpans = (spans: HourSpan[]) => [...hours].filter(([h]) => spans.some((s) => h >= s.from && h < s.to)).reduce((a, [, v]) => a + v, 0);
  const utcDays = new Map<string, number>();
  for (const [h, v] of hours) utcDays.set(h.slice(0, 10), (utcDays.get(h.slice(0, 10)) ?? 0) + v);
  const utcDay = (day: string) => utcDays.get(day) ?? 0;
  const localDay = (day: string, offsetHours: number) => {
    const t0 = Date.parse(`${day}T00:00:00Z`) - offsetHours * HOUR;
    let sum = 0;
    for (let t = t0; t < t0 + DAY; t += HOUR) sum += hours.get(key(t)) ?? 0;
    return sum;
  };
  const days = (from: string, to: string) => {
    const out: string[] = [];
    for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += DAY) out.push(new Date(t).toISOString().slice(0, 10));
    return out;
  };
  const ranges: [string, string][] = [
    ['2024-02-01', '2024-03-01'],
    ['2024-02-10', '2024-02-11'],
    ['2024-02-29', '2024-03-02'],
    ['2024-02-05', '2024-03-19'],
    ['2024-03-05', '2024-03-05'],
  ];

  it('a range is its UTC periods plus the hours that arrive at its ends, minus those that leave, at every whole-hour offset', () => {
    for (let o = -14; o <= 14; o++) {
      for (const [from, to] of ranges) {
        const range = parseDayRange(from, to, new Date(), o * 60);
        const plan = localRangePlan(range);
        const periodDays = [
          ...plan.periods.D,
          ...plan.periods.W.flatMap((w) => days(w, new Date(Date.parse(w) + 7 * DAY).toISOString().slice(0, 10))),
          ...plan.periods.M.flatMap((m) => days(m, new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 1)).toISOString().slice(0, 10))),
        ];
        expect(periodDays.sort()).toEqual(days(from, to));
        const got = periodDays.reduce((a, d) => a + utcDay(d), 0) + inSpans(plan.add) - inSpans(plan.subtract);
        expect([o, from, to, got]).toEqual([o, from, to, days(from, to).reduce((a, d) => a + localDay(d, o), 0)]);
        expect(plan.add.length + plan.subtract.length).toBeLessThanOrEqual(2);
      }
    }
  });

  it('a calendar month at +08:00 is one month row and 8 hours at each end', () => {
    expect(localRangePlan(parseDayRange('2024-03-01', '2024-04-01', new Date(), 480))).toEqual({
      periods: { D: [], W: [], M: ['2024-03-01'] },
      add: [{ from: '2024-02-29 16', to: '2024-03-01 00' }],
      subtract: [{ from: '2024-03-31 16', to: '2024-04-01 00' }],
    });
    expect(localRangePlan(parseDayRange('2024-03-01', '2024-04-01', new Date(), -300))).toMatchObject({
      add: [{ from: '2024-04-01 00', to: '2024-04-01 05' }],
      subtract: [{ from: '2024-03-01 00', to: '2024-03-01 05' }],
    });
  });

  it('each local day is its UTC day less the hours that leave it plus the hours that arrive, at every whole-hour offset', () => {
    for (let o = -14; o <= 14; o++) {
      for (const [from, to] of ranges) {
        const plan = localDaysPlan(parseDayRange(from, to, new Date(), o * 60));
        const perDay = new Map(days(from, to).map((d) => [d, utcDay(d)]));
        for (const [h, v] of hours) {
          if (plan.leave.some((s) => h >= s.from && h < s.to)) perDay.set(h.slice(0, 10), perDay.get(h.slice(0, 10))! - v);
          if (plan.arrive.some((s) => h >= s.from && h < s.to)) {
            const day = new Date(Date.parse(`${h.slice(0, 10)}T00:00:00Z`) + plan.shiftDays * DAY).toISOString().slice(0, 10);
            perDay.set(day, perDay.get(day)! + v);
          }
        }
        expect([o, [...perDay]]).toEqual([o, days(from, to).map((d) => [d, localDay(d, o)])]);
      }
    }
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
