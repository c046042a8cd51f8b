import { createPublicKey } from 'node:crypto';

/** seed 004: an app name is unique, "no special characters": letters, digits, `_`, `-`, 1 to 64. */
export const SSO_APP_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A URL query parameter name for the JWT. */
export const SSO_TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** How a stored secret (and a set `initpwd`) is shown; sent back on an update it keeps the stored value. */
export const MASKED_SECRET = '************';

/** Smallest RSA modulus accepted for RS* public keys (RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048;

/** Largest JWT accepted at login, in characters. */
export const MAX_JWT_LENGTH = 8192;

/**
 * seed 004's `"1"`/`"0"` flags as sent in forms and JSON: `"1"`, `1`, `true`, `"true"` → `"1"`;
 * `"0"`, `0`, `false`, `"false"` → `"0"`; anything else unchanged (the validator then names the field).
 */
export function toFlag(value: unknown): unknown {
  if (value === true || value === 1 || value === '1' || value === 'true') return '1';
  if (value === false || value === 0 || value === '0' || value === 'false') return '0';
  return value;
}

/**
 * A list of strings from a form or JSON body: an array (`initroles=a&initroles=b`, `initroles[]=a`),
 * a JSON array string (`'["a","b"]'`), or a single value (`initroles=a`); `""` is the empty list.
 */
export function toStringList(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (Array.isArray(value)) return value;
  if (typeof value === 'object') {
    // qs turns `initroles[0]=a&initroles[1]=b` into an array, but more than 20 indices into an object.
    const keys = Object.keys(value as object);
    return keys.every((k) => /^\d+$/.test(k)) ? keys.sort((a, b) => Number(a) - Number(b)).map((k) => (value as Record<string, unknown>)[k]) : value;
  }
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return [];
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  return [text];
}

/** An object from a form or JSON body: itself (`fieldmap[username]=x`) or a JSON object string. */
export function toObject(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : value;
  } catch {
    return value;
  }
}

/** An integer from a form field (`"86400"`) or JSON number; other values unchanged for the validator. */
export function toInteger(value: unknown): unknown {
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return value;
}

/** True for the HMAC algorithms (shared secret). */
export function isHmacAlgorithm(algorithm: string): boolean {
  return algorithm.startsWith('HS');
}

/**
 * The issuer's public key as SPKI PEM: a PEM `-----BEGIN PUBLIC KEY-----` block as given, or
 * base64 SPKI without the PEM lines (seed 004's "public key") wrapped into one.
 * @throws Error `secret must be ...` when it is neither (a private key included).
 */
export function toSpkiPem(secret: string): string {
  const text = secret.trim();
  if (/-----BEGIN PUBLIC KEY-----/.test(text)) return text.replace(/\r\n/g, '\n');
  if (/-----BEGIN /.test(text)) throw new Error('secret must be the issuer public key (SPKI "BEGIN PUBLIC KEY"), not a private key or certificate');
  const body = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length < 64) {
    throw new Error('secret must be a PEM public key or base64 SPKI for an RS* or ES* algorithm');
  }
  return `-----BEGIN PUBLIC KEY-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----`;
}

/**
 * Checks key type and size against the algorithm with node:crypto (jose checks again when importing):
 * RS* needs RSA >= 2048 bits, ES256/384/512 the curves P-256/P-384/P-521.
 * @throws Error naming `secret` on a mismatch.
 */
export function assertKeyFitsAlgorithm(pem: string, algorithm: string): void {
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error(`secret is not a parseable public key for ${algorithm}`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm.startsWith('RS')) {
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`secret must be an RSA public key for ${algorithm} (got ${key.asymmetricKeyType})`);
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) throw new Error(`secret: RSA keys must be at least ${MIN_RSA_BITS} bits (got ${details.modulusLength})`);
    return;
  }
  const curve = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }[algorithm];
  if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== curve) {
    throw new Error(`secret must be an EC public key on ${curve} for ${algorithm}`);
  }
}

/** The user fields a verified JWT gives through the app's `fieldmap`. */
export interface MappedClaims {
  /** undefined when the `fieldmap.username` claim is missing or not a usable name. */
  username?: string;
  displayName: string;
  email: string;
}

function claimText(payload: Record<string, unknown>, claim: string | undefined, max: number): string {
  if (!claim) return '';
  const value = payload[claim];
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  // eslint-disable-next-line no-control-regex
  return String(value).replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, max);
}

/**
 * Maps claims to user fields through seed 004's `fieldmap` ({username, name, email} → claim names).
 * The username must be a string (or number) of 1 to 64 characters without control characters.
 */
export function mapClaims(payload: Record<string, unknown>, fieldmap: { username: string; name?: string; email?: string }): MappedClaims {
  const raw = payload[fieldmap.username];
  let username: string | undefined;
  if (typeof raw === 'string' || typeof raw === 'number') {
    const text = String(raw).trim();
    // eslint-disable-next-line no-control-regex
    if (text.length >= 1 && text.length <= 64 && !/[\u0000-\u001f\u007f]/.test(text)) username = text;
  }
  return {
    username,
    displayName: claimText(payload, fieldmap.name, 128),
    email: claimText(payload, fieldmap.email, 255),
  };
}

/** Registered claims (RFC 7519 §4.1) that `generate` sets itself and a login checks: never taken from a payload. */
export const GENERATED_CLAIMS: readonly string[] = ['iss', 'aud', 'exp', 'nbf', 'iat', 'jti'];

/** Payload fields Datafor documents for `generate` that Tollgate never puts in a token: a JWT travels in a URL. */
export const PAYLOAD_FIELDS_NOT_CARRIED: readonly string[] = ['password'];

/**
 * The claims of a token `generate` signs from Datafor's `payload` (`{username, name?, email?, roles?, …}`):
 * `username`, `name` and `email` renamed to the claims `fieldmap` names for them (a field whose fieldmap entry
 * is empty keeps its own name), every other field carried as given, `password` left out.
 * @throws Error naming `payload.<field>` when it would set a {@link GENERATED_CLAIMS} claim, or a claim another
 *   field already sets (`{username, loginname}` with `fieldmap.username` = `loginname`).
 */
export function claimsFromPayload(payload: Record<string, unknown>, fieldmap: { username: string; name?: string; email?: string }): Record<string, unknown> {
  const renamed = new Map<string, string>([['username', fieldmap.username]]);
  if (fieldmap.name) renamed.set('name', fieldmap.name);
  if (fieldmap.email) renamed.set('email', fieldmap.email);
  const claims = new Map<string, unknown>();
  for (const [field, value] of Object.entries(payload)) {
    if (value === undefined || PAYLOAD_FIELDS_NOT_CARRIED.includes(field)) continue;
    const claim = renamed.get(field) ?? field;
    if (GENERATED_CLAIMS.includes(claim)) throw new Error(`payload.${field}: the "${claim}" claim is set by generate`);
    if (claims.has(claim)) throw new Error(`payload.${field}: another field already sets the claim "${claim}" (fieldmap renames username, name and email)`);
    claims.set(claim, value);
  }
  return Object.fromEntries(claims);
}
