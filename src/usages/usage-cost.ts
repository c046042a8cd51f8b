/**
 * Exact USD arithmetic for usage reports. Costs are stored as DECIMAL with 10 places (REAL on
 * SQLite), so sums are carried as bigint "cost units" of 1e-10 USD and only rounded when shown.
 */

/** Decimal places of a stored cost (`usage_records.cost_usd`, `usage_daily.cost_usd`). */
export const COST_SCALE = 10;

const PLAIN = /^([+-])?(\d*)(?:\.(\d*))?$/;

/**
 * A stored/summed cost as bigint units of 1e-10 USD. Accepts a decimal string (`"0.0001100000"`,
 * MySQL DECIMAL), a JS number (SQLite REAL; read through `toFixed(10)`, exact for values that
 * came from 10-place decimals) or a bigint (already units). Digits past the 10th are rounded half up.
 * @throws Error when `value` is not a number.
 */
export function costToUnits(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined || value === '') return 0n;
  if (typeof value === 'bigint') return value;
  let text = typeof value === 'number' ? value.toFixed(COST_SCALE) : value.trim();
  if (/e/i.test(text)) text = Number(text).toFixed(COST_SCALE);
  const match = PLAIN.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new Error(`not a decimal: ${String(value)}`);
  const negative = match[1] === '-';
  const fraction = match[3] ?? '';
  let units = BigInt((match[2] || '0') + fraction.slice(0, COST_SCALE).padEnd(COST_SCALE, '0'));
  if (fraction.length > COST_SCALE && fraction.charCodeAt(COST_SCALE) >= 53 /* '5' */) units += 1n;
  return negative ? -units : units;
}

/**
 * Cost units (1e-10 USD) as a decimal string with `decimals` places (default 6, seed 003's
 * `"0.000110"`), rounded half up (away from zero).
 * @throws RangeError when `decimals` is outside 0..10.
 */
export function formatCost(units: bigint, decimals = 6): string {
  if (decimals < 0 || decimals > COST_SCALE) throw new RangeError('decimals must be 0..10');
  const negative = units < 0n;
  let abs = negative ? -units : units;
  const drop = 10n ** BigInt(COST_SCALE - decimals);
  abs = drop === 1n ? abs : (abs + drop / 2n) / drop;
  const digits = abs.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const text = decimals === 0 ? whole : `${whole}.${digits.slice(digits.length - decimals)}`;
  return negative && abs !== 0n ? `-${text}` : text;
}
