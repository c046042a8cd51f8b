import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { randomBytes, randomUUID } from 'node:crypto';

/** Claims and registered-claim options for one test token (unix seconds). */
export interface IssueOptions {
  /** default: now + 300 s; `null` leaves `exp` out. */
  exp?: number | null;
  /** default: now; `null` leaves `iat` out. */
  iat?: number | null;
  /** default: a random UUID; `null` leaves `jti` out. */
  jti?: string | null;
  iss?: string;
  aud?: string;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * The "external system" of seed 004 (an ERP, a portal) in tests: holds a signing key and signs
 * JWTs with jose, exactly as a real issuer would. `secretForApp` is what the admin configures
 * as the app's `secret`: the HS shared secret, or the RS/ES public key as SPKI PEM.
 */
export class ExternalIssuer {
  private constructor(
    readonly algorithm: string,
    private readonly signingKey: Uint8Array | CryptoKey,
    readonly secretForApp: string,
  ) {}

  /** An HS* issuer with the given shared secret (default: 48 random bytes, base64url). */
  static hmac(algorithm = 'HS256', secret = randomBytes(48).toString('base64url')): ExternalIssuer {
    return new ExternalIssuer(algorithm, new TextEncoder().encode(secret), secret);
  }

  /** An RS* or ES* issuer with a fresh key pair; the app gets the public key as PEM. */
  static async asymmetric(algorithm: 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512'): Promise<ExternalIssuer> {
    const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true });
    return new ExternalIssuer(algorithm, privateKey, await exportSPKI(publicKey));
  }

  /** Signs `claims` with this issuer's key and algorithm. */
  async sign(claims: Record<string, unknown>, options: IssueOptions = {}): Promise<string> {
    return signWith(this.algorithm, this.signingKey, claims, options);
  }
}

/** Signs with any algorithm and key (for forgeries such as HS256 keyed with an RS public key). */
export async function signWith(
  algorithm: string,
  key: Uint8Array | CryptoKey,
  claims: Record<string, unknown>,
  options: IssueOptions = {},
): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: algorithm, typ: 'JWT' });
  const iat = options.iat === undefined ? now() : options.iat;
  const exp = options.exp === undefined ? now() + 300 : options.exp;
  const jti = options.jti === undefined ? randomUUID() : options.jti;
  if (iat !== null) jwt = jwt.setIssuedAt(iat);
  if (exp !== null) jwt = jwt.setExpirationTime(exp);
  if (jti !== null) jwt = jwt.setJti(jti);
  if (options.iss) jwt = jwt.setIssuer(options.iss);
  if (options.aud) jwt = jwt.setAudience(options.aud);
  return jwt.sign(key);
}

/** An unsigned `alg: none` JWT (RFC 7519 §6) with `exp` now + 300 s. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  return new UnsecuredJWT(claims).setIssuedAt().setExpirationTime(now() + 300).setJti(randomUUID()).encode();
}
