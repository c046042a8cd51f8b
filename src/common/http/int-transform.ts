/**
 * class-transformer `@Transform` for integer query, form and env values: a string of digits
 * (optionally signed, surrounding spaces ignored) becomes a number, an empty or missing value
 * becomes `undefined` (so defaults and `@IsOptional()` apply), anything else is left for the
 * validator to refuse with a message naming the field.
 */
export function toInt({ value }: { value: unknown }): unknown {
  if (value === undefined || value === null) return value ?? undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  return /^-?\d+$/.test(text) ? Number(text) : value;
}
