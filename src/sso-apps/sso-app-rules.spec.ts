import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { assertKeyFitsAlgorithm, mapClaims, toFlag, toSpkiPem, toStringList } from './sso-app-rules';
import { hsSecretProblem, looksLikePublicKey, minHsSecretBytes } from './sso-keys';

const pem = (type: 'rsa' | 'ec', opts: object) =>
  (generateKeyPairSync(type as 'rsa', opts as never) as unknown as { publicKey: KeyObject }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('seed 004 form values', () => {
  it('reads "1"/"0" flags from forms and JSON, leaving other values for the validator', () => {
    expect([toFlag('1'), toFlag(1), toFlag(true), toFlag('true')]).toEqual(['1', '1', '1', '1']);
    expect([toFlag('0'), toFlag(0), toFlag(false), toFlag('false')]).toEqual(['0', '0', '0', '0']);
    expect(toFlag('yes')).toBe('yes');
  });

  it('reads initroles from an array, a JSON string, a single value, qs index objects, or empty', () => {
    expect(toStringList(['a', 'b'])).toEqual(['a', 'b']);
    expect(toStringList('["a","b"]')).toEqual(['a', 'b']);
    expect(toStringList('SYS_Reader')).toEqual(['SYS_Reader']);
    expect(toStringList({ 1: 'b', 0: 'a' })).toEqual(['a', 'b']);
    expect(toStringList('')).toEqual([]);
    expect(toStringList('[broken')).toBe('[broken');
  });
});

describe('public keys', () => {
  const rsa = pem('rsa', { modulusLength: 2048 });
  const p256 = pem('ec', { namedCurve: 'P-256' });

  it('wraps base64 SPKI into PEM and keeps PEM as given', () => {
    const bare = rsa.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    expect(toSpkiPem(bare)).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----$/);
    assertKeyFitsAlgorithm(toSpkiPem(bare), 'RS256');
    expect(toSpkiPem(rsa)).toBe(rsa.trim());
  });

  it('refuses private keys, garbage, small RSA keys and keys of the wrong type or curve, naming secret', () => {
    const priv = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => toSpkiPem(priv)).toThrow(/^secret must be the issuer public key/);
    expect(() => toSpkiPem('abcd')).toThrow(/^secret must be a PEM public key or base64 SPKI/);
    expect(() => assertKeyFitsAlgorithm(pem('rsa', { modulusLength: 1024 }), 'RS256')).toThrow(/at least 2048 bits/);
    expect(() => assertKeyFitsAlgorithm(p256, 'RS256')).toThrow(/RSA public key/);
    expect(() => assertKeyFitsAlgorithm(p256, 'ES384')).toThrow(/secp384r1/);
    expect(() => assertKeyFitsAlgorithm(rsa, 'ES256')).toThrow(/EC public key/);
    assertKeyFitsAlgorithm(p256, 'ES256');
  });

  it('spots a public key offered as an HS secret (RS/HS confusion)', () => {
    expect(looksLikePublicKey(rsa)).toBe(true);
    expect(looksLikePublicKey(rsa.replace(/-----[A-Z ]+-----/g, ''))).toBe(true);
    expect(looksLikePublicKey('abcd')).toBe(false);
  });

  it('spots base64 DER public keys of any shape: P-256 SPKI (MFkw…), PKCS#1 RSA; not random base64 secrets', () => {
    const bare = (key: string) => key.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    expect(bare(p256).startsWith('MFkw')).toBe(true);
    expect(looksLikePublicKey(bare(p256))).toBe(true);
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
    expect(looksLikePublicKey(pkcs1)).toBe(true);
    for (let i = 0; i < 20; i++) expect(looksLikePublicKey(randomBytes(48).toString(i % 2 ? 'base64' : 'base64url'))).toBe(false);
  });
});

describe('HS secrets (RFC 7518 §3.2)', () => {
  it('needs at least the hash output: 32, 48, 64 bytes for HS256, HS384, HS512', () => {
    expect(['HS256', 'HS384', 'HS512'].map(minHsSecretBytes)).toEqual([32, 48, 64]);
    expect(hsSecretProblem('HS256', 'abcd')).toEqual({ reason: 'weak', bytes: 4, minBytes: 32 });
    expect(hsSecretProblem('HS256', 'é'.repeat(16))).toBeUndefined(); // 32 UTF-8 bytes
    expect(hsSecretProblem('HS384', 'x'.repeat(47))).toEqual({ reason: 'weak', bytes: 47, minBytes: 48 });
    expect(hsSecretProblem('HS512', 'x'.repeat(64))).toBeUndefined();
    expect(hsSecretProblem('HS256', '')).toEqual({ reason: 'empty' });
  });
});

describe('claim mapping through fieldmap', () => {
  const fieldmap = { username: 'loginname', name: 'name', email: 'email' };

  it('maps username, display name and email', () => {
    expect(mapClaims({ loginname: ' alice ', name: 'Alice', email: 'a@x.io' }, fieldmap)).toEqual({ username: 'alice', displayName: 'Alice', email: 'a@x.io' });
    expect(mapClaims({ loginname: 42 }, { username: 'loginname' })).toEqual({ username: '42', displayName: '', email: '' });
  });

  it('gives no username for a missing, empty, non-string, too long or control-character claim', () => {
    for (const loginname of [undefined, '', '   ', { a: 1 }, ['x'], 'x'.repeat(65), 'a\nb']) {
      expect(mapClaims({ loginname }, fieldmap).username).toBeUndefined();
    }
  });
});
