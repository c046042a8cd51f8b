import { CryptoService, maskSecret } from './crypto.service';

describe('CryptoService', () => {
  const crypto = new CryptoService('x'.repeat(32));

  it('hashes deterministically and differently per master key', () => {
    expect(crypto.hash('abc')).toBe(crypto.hash('abc'));
    expect(crypto.hash('abc')).toMatch(/^[0-9a-f]{64}$/);
    expect(new CryptoService('y'.repeat(32)).hash('abc')).not.toBe(crypto.hash('abc'));
  });

  it('round-trips encryption with a fresh IV each time and rejects tampering', () => {
    const a = crypto.encrypt('sk-secret');
    expect(a).not.toContain('sk-secret');
    expect(crypto.encrypt('sk-secret')).not.toBe(a);
    expect(crypto.decrypt(a)).toBe('sk-secret');
    const parts = a.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => crypto.decrypt(parts.join('.'))).toThrow();
    expect(() => new CryptoService('z'.repeat(32)).decrypt(a)).toThrow();
  });

  it('draws alphanumeric keys of the asked length', () => {
    const key = crypto.randomAlphanumeric(48);
    expect(key).toMatch(/^[0-9a-zA-Z]{48}$/);
    expect(crypto.randomAlphanumeric(48)).not.toBe(key);
  });

  it('compares hashes only when equal in full', () => {
    expect(crypto.hashesEqual('ab', 'ab')).toBe(true);
    expect(crypto.hashesEqual('ab', 'ac')).toBe(false);
    expect(crypto.hashesEqual('ab', 'abc')).toBe(false);
  });

  it('masks keeping head and tail', () => {
    expect(maskSecret('df5982d6-d8fb-4eef-a513-24d0831f61ad', 4, 4, '****')).toBe('df59****61ad');
    expect(maskSecret('short', 4, 4, '****')).toBe('****');
  });
});
