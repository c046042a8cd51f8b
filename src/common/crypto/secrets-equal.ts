import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two secrets as strings: compares their SHA-256 digests, so neither
 * the position of the first difference nor the length of either shows in the time taken.
 */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a, 'utf8').digest(), createHash('sha256').update(b, 'utf8').digest());
}
