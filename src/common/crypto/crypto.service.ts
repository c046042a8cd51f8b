import { Injectable } from '@nestjs/common';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  randomInt,
  randomUUID,
  timingSafeEqual,
} from 'node:crypto';

const ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Keyed hashing and encryption at rest, from one master secret (`TOLLGATE_SECRET`).
 * Two sub-keys are derived with HKDF-SHA-256 (RFC 5869): one for HMAC-SHA-256 lookups of
 * tokens, one for AES-256-GCM ciphertexts of secrets that must be read back.
 */
@Injectable()
export class CryptoService {
  private readonly hmacKey: Buffer;
  private readonly encryptionKey: Buffer;

  constructor(masterSecret: string) {
    const ikm = Buffer.from(masterSecret, 'utf8');
    this.hmacKey = Buffer.from(hkdfSync('sha256', ikm, 'tollgate', 'hmac-sha256 lookup v1', 32));
    this.encryptionKey = Buffer.from(hkdfSync('sha256', ikm, 'tollgate', 'aes-256-gcm at rest v1', 32));
  }

  /** HMAC-SHA-256 of `value` with the lookup key, as 64 lowercase hex characters. */
  hash(value: string): string {
    return createHmac('sha256', this.hmacKey).update(value, 'utf8').digest('hex');
  }

  /** Constant-time equality of two hex hashes (false when lengths differ). */
  hashesEqual(a: string, b: string): boolean {
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    return x.length === y.length && timingSafeEqual(x, y);
  }

  /** AES-256-GCM encryption: `v1.<iv>.<tag>.<ciphertext>` in base64url. */
  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /**
   * Reverses {@link encrypt}.
   * @throws Error when the text was not made with this master key or was altered.
   */
  decrypt(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unsupported ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** `length` characters from `[0-9a-zA-Z]`, drawn uniformly by the CSPRNG. */
  randomAlphanumeric(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
    return out;
  }

  /** A random UUID v4 (RFC 9562), used as a user access token. */
  randomUuid(): string {
    return randomUUID();
  }
}

/** `abcd****wxyz`: the first and last `keep` characters around `stars`; short values are all stars. */
export function maskSecret(value: string, head: number, tail: number, stars: string): string {
  if (value.length <= head + tail) return stars;
  return value.slice(0, head) + stars + value.slice(value.length - tail);
}
