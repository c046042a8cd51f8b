import { computeCost, formatPrice, parsePrice, parseStoredMicro } from './cost';

const gpt35 = { model: 'gpt-3.5-turbo', inputMicro: parsePrice('2'), outputMicro: parsePrice('2') };

describe('cost', () => {
  it('seed 003: 55 tokens of gpt-3.5-turbo cost $0.000110 = 55 quota, for any split', () => {
    for (const [p, c] of [[55, 0], [5, 50], [30, 25]]) {
      expect(computeCost(p, c, gpt35)).toEqual({ costUsd: '0.0001100000', quota: 55 });
    }
  });

  it('computes exactly with prices of 6 decimal places and rounds quota up', () => {
    const mini = { model: 'gpt-4o-mini', inputMicro: parsePrice('0.15'), outputMicro: parsePrice('0.6') };
    // 1000 x 0.15 + 100 x 0.6 = 210 micro-USD = 0.00021 USD → 105 quota
    expect(computeCost(1000, 100, mini)).toEqual({ costUsd: '0.0002100000', quota: 105 });
    // 1 token x 0.15 = 0.00000015 USD → 0.075 quota → 1
    expect(computeCost(1, 0, mini)).toEqual({ costUsd: '0.0000001500', quota: 1 });
    const odd = { model: 'x', inputMicro: parsePrice('0.000001'), outputMicro: 0n };
    // 1 token x 1e-12 USD: 10-place cost rounds up to 1e-10, quota up to 1
    expect(computeCost(1, 0, odd)).toEqual({ costUsd: '0.0000000001', quota: 1 });
    expect(computeCost(0, 0, gpt35)).toEqual({ costUsd: '0.0000000000', quota: 0 });
  });

  it('bills cached prompt tokens at the cached-input price, or at the input price when none is set', () => {
    const gpt4o = { model: 'gpt-4o', inputMicro: parsePrice('2.5'), outputMicro: parsePrice('10'), cachedMicro: parsePrice('1.25') };
    // 1000 prompt (400 cached) + 100 output: 600 x 2.5 + 400 x 1.25 + 100 x 10 = 3000 micro-USD → 1500 quota
    expect(computeCost(1000, 100, gpt4o, 400)).toEqual({ costUsd: '0.0030000000', quota: 1500 });
    expect(computeCost(1000, 100, { ...gpt4o, cachedMicro: undefined }, 400)).toEqual(computeCost(1000, 100, gpt4o));
    expect(computeCost(10, 0, gpt4o, 50)).toEqual(computeCost(10, 0, gpt4o, 10)); // never more cached than prompt
  });

  it('parses and formats prices, refusing more than 6 places or negatives', () => {
    expect(parsePrice('2.5')).toBe(2_500_000n);
    expect(formatPrice(2_500_000n)).toBe('2.5');
    expect(formatPrice(parsePrice('0.000001'))).toBe('0.000001');
    expect(formatPrice(parsePrice('30'))).toBe('30');
    expect(() => parsePrice('0.0000001')).toThrow();
    expect(() => parsePrice('-1')).toThrow();
    expect(() => parsePrice('1e-3')).toThrow();
  });

  it('accepts prices up to 1,000,000 USD per 1M tokens, no more', () => {
    expect(parsePrice('1000000')).toBe(1_000_000_000_000n);
    expect(parsePrice('999999.999999')).toBe(999_999_999_999n);
    expect(() => parsePrice('1000000.000001')).toThrow(/from 0 to 1000000/);
    expect(() => parsePrice('999999999999.999999')).toThrow();
  });

  it('reads a stored price only when it is an exact integer in range, from either driver', () => {
    expect(parseStoredMicro('2500000')).toBe(2_500_000n);
    expect(parseStoredMicro(2_500_000)).toBe(2_500_000n);
    expect(parseStoredMicro(0)).toBe(0n);
    expect(() => parseStoredMicro('1000000000001')).toThrow(/invalid stored price/);
    expect(() => parseStoredMicro(1e18)).toThrow();
    expect(() => parseStoredMicro(2.5)).toThrow();
    expect(() => parseStoredMicro(-1)).toThrow();
    expect(() => parseStoredMicro('2.5')).toThrow();
  });
});
