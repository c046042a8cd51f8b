import { costToUnits, formatCost } from './usage-cost';

describe('usage cost arithmetic', () => {
  it('reads MySQL decimal strings, SQLite REALs and exponent forms as exact 1e-10 units', () => {
    expect(costToUnits('0.0001100000')).toBe(1_100_000n);
    expect(costToUnits(0.00011)).toBe(1_100_000n);
    expect(costToUnits(1e-7)).toBe(1000n);
    expect(costToUnits('1.5e-4')).toBe(1_500_000n);
    expect(costToUnits('12')).toBe(120_000_000_000n);
    expect(costToUnits(null)).toBe(0n);
    expect(costToUnits('0.00000000005')).toBe(1n);
    expect(() => costToUnits('abc')).toThrow();
  });

  it('formats seed 003 cost "0.000110" and rounds half up at the 6th place', () => {
    expect(formatCost(2n * 1_100_000n / 2n)).toBe('0.000110');
    expect(formatCost(costToUnits('0.0000005'))).toBe('0.000001');
    expect(formatCost(costToUnits('0.0000004999'))).toBe('0.000000');
    expect(formatCost(costToUnits('1.2345675'))).toBe('1.234568');
    expect(formatCost(0n)).toBe('0.000000');
    expect(formatCost(costToUnits('123.45'), 10)).toBe('123.4500000000');
  });

  it('sums 0.1 ten times exactly (no float drift)', () => {
    let sum = 0n;
    for (let i = 0; i < 10; i++) sum += costToUnits(0.1);
    expect(formatCost(sum)).toBe('1.000000');
  });
});
