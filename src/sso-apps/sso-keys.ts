import { importSPKI } from 'jose';
import { assertKeyFitsAlgorithm, isHmacAlgorithm, toSpkiPem } from './sso-app-rules';

/** What jose verifies with: HMAC key bytes or an imported public key. */
export type VerificationKey = Uint8Array | CryptoKey;

/**
 * The verification key of an app's secret for its one algorithm: the UTF-8 bytes of an HS*
 * shared secret, or the RS* or ES* public key (PEM or base64 SPKI) imported with jose `importSPKI`
 * after a node:crypto check of type, curve and RSA size (RFC 7518 §3.3: >= 2048 bits).
 * @throws Error whose message starts with `secret` when the key does not parse or fit.
 */
export async function importVerificationKey(algorithm: string, secret: string): Promise<VerificationKey> {
  if (isHmacAlgorithm(algorithm)) {
    if (secret.length === 0) throw new Error('secret must not be empty');
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

/** True when an HS* secret looks like a public key (the RS/HS confusion pattern of RFC 8725 §2.1). */
export function looksLikePublicKey(secret: string): boolean {
  return /-----BEGIN [A-Z ]*(PUBLIC KEY|CERTIFICATE)-----/.test(secret) || /^MII[A-Za-z0-9+/]{60,}={0,2}$/.test(secret.replace(/\s+/g, ''));
}
