import ipaddr from 'ipaddr.js';
import { maskSecret } from '../common/crypto/crypto.service';

/** Length of the secret part of an API token (`sk-` + 48 characters of `[0-9a-zA-Z]`). */
export const TOKEN_KEY_LENGTH = 48;
/** Largest `remain_quota` accepted: 500,000,000,000,000 quota units (= 1,000,000,000 USD at 500,000 per USD). */
export const MAX_REMAIN_QUOTA = 500_000_000_000_000;
/** Largest `expired_time` accepted (9999-12-31T23:59:59Z, unix seconds). */
export const MAX_EXPIRED_TIME = 253_402_300_799;
/** Most ids one batch route takes. */
export const MAX_BATCH_IDS = 1000;
/** `mj_image_mode` values (seed 001). */
export const MJ_IMAGE_MODES = ['default', 'origin', 'proxy'] as const;

/** The prefix clients put before a key (new-api's front end prepends it to the bare key it reveals). */
export const KEY_PREFIX = 'sk-';

/** A presented key or key fragment without surrounding spaces and without one leading `sk-` (new-api: `strings.TrimPrefix(key, "sk-")`). */
export function withoutKeyPrefix(raw: string): string {
  const text = raw.trim();
  return text.startsWith(KEY_PREFIX) ? text.slice(KEY_PREFIX.length) : text;
}

/**
 * The masked form shown everywhere else: first 4 + `**********` + last 4 of the 48-character
 * key, WITHOUT the `sk-` prefix (as new-api masks it; its front end adds `sk-` for display).
 */
export function maskKey(prefix: string, suffix: string): string {
  return `${prefix.slice(0, 4)}**********${suffix}`;
}

/** Same as {@link maskKey} from a clear key. */
export function maskClearKey(key: string): string {
  return maskSecret(key, 4, 4, '**********');
}

/**
 * The 48-character key of a presented API token, with or without `sk-` ({@link withoutKeyPrefix}) and,
 * as new-api does, anything after a further `-` (its `sk-<key>-<channel>` form) dropped. Undefined
 * when it cannot be one (`sk-sk-<key>` included, as in new-api).
 */
export function keyFromPresented(raw: string): string | undefined {
  const key = withoutKeyPrefix(raw).split('-')[0];
  return /^[0-9a-zA-Z]{48}$/.test(key) ? key : undefined;
}

/**
 * A comma-separated list from a string (`"a, b,,c"`) or an array (`["a","b"]`): entries trimmed,
 * empties and repeats dropped, order kept, joined with `,`. Returns `value` unchanged when it is
 * neither (so the DTO's `@IsString` names the field).
 */
export function normalizeCommaList(value: unknown): unknown {
  let parts: unknown[];
  if (typeof value === 'string') parts = value.split(',');
  else if (Array.isArray(value)) parts = value;
  else return value;
  if (!parts.every((p) => typeof p === 'string')) return value;
  const seen = new Set<string>();
  for (const p of parts as string[]) {
    const item = p.trim();
    if (item) seen.add(item);
  }
  return [...seen].join(',');
}

/**
 * `allow_ips` from a string separated by newlines and/or commas (seeds 000/001 use `\n`, seed 002 `,`)
 * or an array: entries trimmed, empties and repeats dropped, joined with `\n` (the stored form).
 * Returns `value` unchanged when it is neither.
 */
export function normalizeAllowIps(value: unknown): unknown {
  let parts: unknown[];
  if (typeof value === 'string') parts = value.split(/[\r\n,]+/);
  else if (Array.isArray(value)) parts = value;
  else return value;
  if (!parts.every((p) => typeof p === 'string')) return value;
  return [...new Set((parts as string[]).map((p) => p.trim()).filter(Boolean))].join('\n');
}

/** True for a plain IPv4 (four decimal parts) or IPv6 address, or such an address `/prefix` (CIDR). */
export function isIpOrCidr(entry: string): boolean {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  let bits: number;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) bits = 32;
  else if (ipaddr.IPv6.isValid(address)) bits = 128;
  else return false;
  if (slash === -1) return true;
  const prefix = entry.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= bits;
}

/** The first entry of a normalized `allow_ips` that is not an address or CIDR, if any. */
export function firstBadIp(normalized: string): string | undefined {
  if (!normalized) return undefined;
  return normalized.split('\n').find((entry) => !isIpOrCidr(entry));
}

/**
 * Token ids from an array of integers or a comma-separated string (`"873,869"`, seed 001's schema).
 * Returns `value` unchanged when an entry is not a positive integer (the DTO then names `ids`).
 */
export function parseIdList(value: unknown): unknown {
  const parts = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  if (!Array.isArray(parts)) return value;
  const ids = parts.map((p) => (typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : p));
  return ids.every((id) => Number.isSafeInteger(id) && (id as number) > 0) ? [...new Set(ids as number[])] : value;
}

/** Field names from an array, a comma-separated string, or an object whose keys are the names (seed 001's schema). */
export function parseFieldList(value: unknown): unknown {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (value && typeof value === 'object' && !Array.isArray(value)) return Object.keys(value);
  return value;
}

/** `%`, `_` and `!` escaped for `LIKE … ESCAPE '!'` (the same on SQLite and MySQL). */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}
