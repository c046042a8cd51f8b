import { BadRequestException } from '@nestjs/common';
import { parseDayRange, parseTzOffset, periodStarts, rangePeriods, toSqlUtc } from './usage-range';

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

  it('covers every day of random ranges exactly once', () => {
    const DAY = 86_400_000;
    for (let i = 0; i < 200; i++) {
      const from = Date.UTC(2023, 0, 1) + Math.floor(Math.random() * 800) * DAY;
      const to = from + Math.floor(Math.random() * 367) * DAY;
      const range = { fromTime: new Date(from), toTime: new Date(to) };
      const p = rangePeriods(range);
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
      expect(p.D.length + p.W.length + p.M.length).toBeLessThanOrEqual(37);
      if (to - from <= 31 * DAY) expect(p.D.length + p.W.length + p.M.length).toBeLessThanOrEqual(13);
    }
  });
});

describe('tz offsets', () => {
  it('parses +08:00, +0800, -05:30, Z; 400 naming tz otherwise', () => {
    expect(parseTzOffset('+08:00')).toBe(480);
    expect(parseTzOffset('+0800')).toBe(480);
    expect(parseTzOffset('-05:30')).toBe(-330);
    expect(parseTzOffset('Z')).toBe(0);
    expect(parseTzOffset(undefined)).toBe(0);
    for (const bad of ['8', '+15:00', '+08:60', 'Asia/Shanghai']) expect(message(() => parseTzOffset(bad))).toMatch(/^tz must be/);
  });

  it('turns local days into their UTC instants, keeping the local dates', () => {
    const r = parseDayRange('2024-05-10', '2024-05-20', new Date(), 480);
    expect(r).toMatchObject({ from: '2024-05-10', to: '2024-05-20' });
    expect(r.fromTime.toISOString()).toBe('2024-05-09T16:00:00.000Z');
    expect(r.toTime.toISOString()).toBe('2024-05-19T16:00:00.000Z');
    // 2024-02-29T20:00Z is already March at +08:00
    expect(parseDayRange(undefined, undefined, new Date('2024-02-29T20:00:00Z'), 480)).toMatchObject({ from: '2024-03-01', to: '2024-04-01' });
  });
});
