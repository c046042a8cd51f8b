import type { AuditChanges } from './entities/audit-record.entity';

/** What an audit record shows for a secret's value (set or changed); a secret that is not set stays null. */
export const MASKED = '***';

/**
 * Field names whose values are secrets (or their hashes and ciphertexts), after camelCase becomes snake_case:
 * `key`, `secret`, `password`, `token`, `initpwd` alone or as the last word (`api_key`, `access_token`,
 * `private_key`, `client_secret`), and anything ending in `_hash` or `_ciphertext`. `key_hint`, `token_name`
 * and the like are not secrets (a hint is already masked, as the API shows it).
 */
const SECRET_FIELD = /(^|_)(key|secret|password|passwd|token|initpwd|jwt)$|_(hash|ciphertext)$/;

/** A flat view of an audited object: field name → value as the API would show it (secrets included, masked later). */
export type AuditView = Record<string, unknown>;

/** True when `name` (camelCase or snake_case) names a secret, see {@link SECRET_FIELD}. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
}

/**
 * `value` with secrets masked: {@link MASKED} when `name` is a secret and the value is set (not null/undefined/''),
 * else the value with the same rule applied to the fields of nested plain objects.
 */
export function maskValue(name: string, value: unknown): unknown {
  if (value === undefined) return null;
  if (isSecretField(name)) return value === null || value === '' ? value : MASKED;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskValue(k, v)]));
  }
  return value;
}

/**
 * The changed fields between two views of one object, `{field: {before, after}}`, secrets masked by
 * {@link maskValue} after comparing (so a changed secret shows as `"***"` → `"***"`). `before` null for a
 * creation, `after` null for a deletion: every field of the other side is listed. Values compare as JSON,
 * so arrays and objects compare by content; a field missing on one side is null there.
 */
export function diffViews(before: AuditView | null, after: AuditView | null): AuditChanges {
  const changes: AuditChanges = {};
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const name of names) {
    const from = before?.[name] ?? null;
    const to = after?.[name] ?? null;
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes[name] = { before: maskValue(name, from), after: maskValue(name, to) };
  }
  return changes;
}
