import { BadRequestException } from '@nestjs/common';
import { parseDayRange, toSqlUtc } from './usage-range';

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
