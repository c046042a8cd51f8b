import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { assertKeyFitsAlgorithm, mapClaims, toFlag, toSpkiPem, toStringList } from './sso-app-rules';
import { MemoryReplayStore } from './jti-replay-guard';
import { looksLikePublicKey } from './sso-keys';

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

describe('MemoryReplayStore', () => {
  it('claims an id once within its lifetime, again after it expired', () => {
    const store = new MemoryReplayStore();
    expect(store.claim('k', 1000, 0)).toBe(true);
    expect(store.claim('k', 1000, 500)).toBe(false);
    expect(store.claim('k', 1000, 1500)).toBe(true);
  });

  it('refuses new ids when full of live ones (fails closed) and sweeps expired ones to make room', () => {
    const store = new MemoryReplayStore(2);
    expect(store.claim('a', 1000, 0)).toBe(true);
    expect(store.claim('b', 1000, 0)).toBe(true);
    expect(store.claim('c', 1000, 10)).toBe(false);
    expect(store.claim('c', 1000, 2000)).toBe(true);
    expect(store.size).toBe(1);
  });
});
