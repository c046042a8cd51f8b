import { nextResetAt } from './reset-period';

const at = (iso: string) => Date.parse(iso) / 1000;

describe('nextResetAt', () => {
  it('daily: the next local midnight, strictly after', () => {
    expect(nextResetAt('daily', 0, at('2026-12-02T10:00:00Z'))).toBe(at('2026-12-03T00:00:00Z'));
    expect(nextResetAt('daily', 0, at('2026-12-03T00:00:00Z'))).toBe(at('2026-12-04T00:00:00Z'));
    expect(nextResetAt('daily', 480, at('2026-12-02T10:00:00Z'))).toBe(at('2026-12-02T16:00:00Z')); // 00:00 +08:00
    expect(nextResetAt('daily', -300, at('2026-12-02T03:00:00Z'))).toBe(at('2026-12-02T05:00:00Z')); // 00:00 -05:00
  });

  it('weekly: the next Monday 00:00; monthly: the next 1st 00:00, local', () => {
    expect(nextResetAt('weekly', 0, at('2026-12-02T10:00:00Z'))).toBe(at('2026-12-07T00:00:00Z')); // a Wednesday
    expect(nextResetAt('weekly', 0, at('2026-12-07T00:00:00Z'))).toBe(at('2026-12-14T00:00:00Z'));
    expect(nextResetAt('monthly', 0, at('2026-12-02T10:00:00Z'))).toBe(at('2027-01-01T00:00:00Z'));
    expect(nextResetAt('monthly', 480, at('2026-12-31T17:00:00Z'))).toBe(at('2027-01-31T16:00:00Z')); // already Jan 1st +08:00
    expect(nextResetAt('never', 0, 0)).toBeNull();
  });
});
