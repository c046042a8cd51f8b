import { createPrivateKey, createPublicKey, KeyObject, timingSafeEqual, X509Certificate } from 'node:crypto';
import { secretsEqual } from '../common/crypto/secrets-equal';
import { importSPKI } from 'jose';
import { assertKeyFitsAlgorithm, isHmacAlgorithm, toSpkiPem } from './sso-app-rules';

/** What jose verifies with: HMAC key bytes or an imported public key. */
export type VerificationKey = Uint8Array | CryptoKey;

/** Why an HS* shared secret cannot be used: none given, a public key, or shorter than the hash output. */
export type HsSecretProblem = { reason: 'empty' } | { reason: 'public_key' } | { reason: 'weak'; bytes: number; minBytes: number };

/** Smallest HS* secret in bytes: the hash output size, 32 for HS256, 48 for HS384, 64 for HS512 (RFC 7518 §3.2). */
export function minHsSecretBytes(algorithm: string): number {
  return Number(algorithm.slice(2)) / 8;
}

/**
 * The one rule for HS* shared secrets: undefined when usable; otherwise why not: empty, a public
 * key (the RS/HS confusion of RFC 8725 §2.1, see {@link looksLikePublicKey}), or fewer UTF-8 bytes than
 * the hash output (RFC 7518 §3.2). An app config update refuses the first two (400) and warns on a
 * weak one; a login through an app with any of them is refused (403).
 */
export function hsSecretProblem(algorithm: string, secret: string): HsSecretProblem | undefined {
  if (secret.length === 0) return { reason: 'empty' };
  if (looksLikePublicKey(secret)) return { reason: 'public_key' };
  const bytes = Buffer.byteLength(secret, 'utf8');
  const minBytes = minHsSecretBytes(algorithm);
  return bytes < minBytes ? { reason: 'weak', bytes, minBytes } : undefined;
}

/**
 * Why an app's stored secret cannot be used for its tokens, as the message a login (and `generate`) answers
 * with 403; undefined when it can. Only HS* secrets are judged here ({@link hsSecretProblem}): an RS* or ES*
 * public key was checked when it was saved, and {@link importVerificationKey} checks it again.
 */
export function unusableSecretMessage(appName: string, algorithm: string, secret: string): string | undefined {
  if (!isHmacAlgorithm(algorithm)) return undefined;
  const problem = hsSecretProblem(algorithm, secret);
  if (!problem) return undefined;
  if (problem.reason === 'weak') return `SSO app "${appName}" has a weak secret: set one of at least ${problem.minBytes} bytes`;
  return `SSO app "${appName}" has no usable ${algorithm} secret (${problem.reason === 'empty' ? 'empty' : 'a public key'}): set a shared secret`;
}

/**
 * The key `generate` signs an app's token with (Datafor's `privateKey`), for an app whose secret is usable:
 * - HS*: the stored shared secret; a `privateKey` given must equal it (constant-time comparison).
 * - RS* or ES*: `privateKey` itself (PEM PKCS#8, PKCS#1 or SEC1, or base64 DER of one of them without the
 *   PEM lines), whose public half must be the public key stored as the app's secret.
 * The private key is used in memory only; no message holds it.
 * @throws Error whose message starts with `privateKey` when it is missing (RS*, ES*), unparseable or does not match.
 */
export function signingKeyFor(appName: string, algorithm: string, secret: string, privateKey: string | undefined): Uint8Array | KeyObject {
  if (isHmacAlgorithm(algorithm)) {
    if (privateKey !== undefined && !secretsEqual(privateKey, secret)) throw new Error(`privateKey does not match the secret of SSO app "${appName}"`);
    return new TextEncoder().encode(secret);
  }
  if (privateKey === undefined) throw new Error(`privateKey is required: SSO app "${appName}" uses ${algorithm}, and Tollgate keeps only its public key`);
  const key = parsePrivateKey(privateKey);
  const derived = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const stored = createPublicKey({ key: toSpkiPem(secret), format: 'pem' }).export({ type: 'spki', format: 'der' });
  if (derived.length !== stored.length || !timingSafeEqual(derived, stored)) {
    throw new Error(`privateKey does not match the ${algorithm} public key of SSO app "${appName}"`);
  }
  return key;
}

/** A private key from PEM, or from base64 DER (PKCS#8, PKCS#1 RSA, SEC1 EC) as Java exports it. @throws Error naming `privateKey`. */
function parsePrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  const unparseable = new Error('privateKey must be a private key: PEM, or base64 PKCS#8 without the PEM lines');
  if (trimmed.startsWith('-----BEGIN ')) {
    if (!/^-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(trimmed)) throw unparseable;
    try {
      return createPrivateKey({ key: trimmed, format: 'pem' });
    } catch {
      throw unparseable;
    }
  }
  const body = trimmed.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw unparseable;
  const der = Buffer.from(body, 'base64');
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw unparseable;
}

/**
 * The verification key of an app's secret for its one algorithm: the UTF-8 bytes of an HS*
 * shared secret (usable by {@link hsSecretProblem}), or the RS* or ES* public key (PEM or base64 SPKI)
 * imported with jose `importSPKI` after a node:crypto check of type, curve and RSA size (RFC 7518 §3.3: >= 2048 bits).
 * @throws Error whose message starts with `secret` when the key does not parse or fit.
 */
export async function importVerificationKey(algorithm: string, secret: string): Promise<VerificationKey> {
  if (isHmacAlgorithm(algorithm)) {
    const problem = hsSecretProblem(algorithm, secret);
    if (problem) throw new Error(`secret is not usable for ${algorithm} (${problem.reason})`);
    return new TextEncoder().encode(secret);
  }
  const pem = toSpkiPem(secret);
  assertKeyFitsAlgorithm(pem, algorithm);
  try {
    return await importSPKI(pem, algorithm);
  } catch {
    throw new Error(`secret is not a valid ${algorithm} public key`);
  }
}

/**
 * True when an HS* secret is a public key or certificate (the RS/HS confusion pattern of RFC 8725 §2.1):
 * a PEM block, or base64 that parses as DER SPKI (`MFkw…` for P-256, `MIIB…` for RSA), PKCS#1 RSA
 * public key or X.509 certificate (node:crypto), or base64 shaped like a large DER structure (`MII…`).
 */
export function looksLikePublicKey(secret: string): boolean {
  if (/-----BEGIN [A-Z ]*(PUBLIC KEY|CERTIFICATE)-----/.test(secret)) return true;
  const body = secret.replace(/\s+/g, '');
  if (/^MII[A-Za-z0-9+/]{60,}={0,2}$/.test(body)) return true;
  if (!/^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(body)) return false;
  const der = Buffer.from(body, 'base64');
  return parses(() => createPublicKey({ key: der, format: 'der', type: 'spki' })) || parses(() => createPublicKey({ key: der, format: 'der', type: 'pkcs1' })) || parses(() => new X509Certificate(der));
}

function parses(attempt: () => unknown): boolean {
  try {
    attempt();
    return true;
  } catch {
    return false;
  }
}
