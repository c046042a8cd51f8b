/** Quota units per USD (seed 000: 500,000 quota = 1 USD). */
export const QUOTA_PER_USD = 500_000n;

/** A model price in integer micro-USD per 1,000,000 tokens (= pico-USD, 1e-12 USD, per token). */
export interface ModelPrice {
  model: string;
  inputMicro: bigint;
  outputMicro: bigint;
  /** Cached input (prompt tokens the provider served from its cache); undefined = the input price. */
  cachedMicro?: bigint;
}

/** The charge of one request: USD as a decimal string with 10 places (rounded up), and quota units. */
export interface Cost {
  costUsd: string;
  quota: number;
}

/**
 * The highest price a model may have, in micro-USD per 1M tokens (1,000,000 USD per 1M tokens,
 * i.e. 1 USD a token). Far above any real price, and low enough that the quota of any request
 * the relay admits stays an exact JS number.
 */
export const MAX_PRICE_MICRO = 1_000_000_000_000n;

const PRICE = /^\d{1,12}(\.\d{1,6})?$/;

/**
 * True for a price string this module accepts: a non-negative decimal with at most 6 places,
 * at most 1,000,000 (USD per 1M tokens).
 */
export function isPriceString(value: string): boolean {
  return PRICE.test(value) && toMicro(value) <= MAX_PRICE_MICRO;
}

/**
 * `"2.5"` (USD per 1M tokens) → 2_500_000n micro-USD per 1M tokens, exactly.
 * @throws Error for anything but a non-negative decimal with at most 6 places, at most 1,000,000.
 */
export function parsePrice(value: string): bigint {
  if (!isPriceString(value)) throw new Error(`invalid price "${value}": expected a decimal from 0 to 1000000 with at most 6 places`);
  return toMicro(value);
}

/**
 * A stored price (micro-USD per 1M tokens, an integer column: a digit string from MySQL, a number
 * from SQLite) → bigint, checked against the same range as {@link parsePrice}.
 * @throws Error when the value is not an exact integer from 0 to {@link MAX_PRICE_MICRO}.
 */
export function parseStoredMicro(value: string | number | bigint): bigint {
  const exact = typeof value === 'bigint' || (typeof value === 'string' && /^\d{1,19}$/.test(value)) || (typeof value === 'number' && Number.isSafeInteger(value));
  const micro = exact ? BigInt(value) : -1n;
  if (micro < 0n || micro > MAX_PRICE_MICRO) throw new Error(`invalid stored price ${String(value)}: expected micro-USD per 1M tokens from 0 to ${MAX_PRICE_MICRO}`);
  return micro;
}

function toMicro(value: string): bigint {
  const [whole, frac = ''] = value.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
}

/** Micro-USD per 1M tokens → a plain decimal string (`2500000n` → `"2.5"`). */
export function formatPrice(micro: bigint): string {
  const whole = micro / 1_000_000n;
  const frac = (micro % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a + b - 1n) / b;
}

/**
 * Exact cost of a request in integer arithmetic, as OpenAI bills it: pico-USD = (prompt - cached) x
 * input + cached x cached input + completion x output (reasoning tokens are completion tokens);
 * `costUsd` is that in USD with 10 places (rounded up); `quota` = ceil(cost x 500,000), seed 000's
 * 500,000 quota units per USD. Seed 003: 55 tokens of gpt-3.5-turbo (2 USD / 1M both ways) →
 * `"0.0001100000"`, 55 quota. `cachedTokens` is part of `promptTokens` (capped at it).
 */
export function computeCost(promptTokens: number, completionTokens: number, price: ModelPrice, cachedTokens = 0): Cost {
  const cached = BigInt(Math.min(Math.max(0, cachedTokens), promptTokens));
  const pico = (BigInt(promptTokens) - cached) * price.inputMicro + cached * (price.cachedMicro ?? price.inputMicro) + BigInt(completionTokens) * price.outputMicro;
  const tenths = ceilDiv(pico, 100n); // 1e-10 USD units
  const whole = tenths / 10_000_000_000n;
  const frac = (tenths % 10_000_000_000n).toString().padStart(10, '0');
  return { costUsd: `${whole}.${frac}`, quota: Number(ceilDiv(pico * QUOTA_PER_USD, 1_000_000_000_000n)) };
}
