import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEnv } from './env.validation';
import { resolveMasterKey } from './master-key';

describe('resolveMasterKey', () => {
  const file = () => join(mkdtempSync(join(tmpdir(), 'tollgate-key-')), 'data', 'secret.key');

  it('uses TOLLGATE_SECRET when set', () => {
    const key = resolveMasterKey(validateEnv({ TOLLGATE_SECRET: 'k'.repeat(40) }), file());
    expect(key).toMatchObject({ secret: 'k'.repeat(40), source: 'env' });
  });

  it('on the embedded default, generates 32 random bytes once into a 0600 file and reuses them', () => {
    const path = file();
    const first = resolveMasterKey(validateEnv({}), path);
    expect(first.source).toBe('generated');
    expect(first.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.secret);
    expect(first.note).not.toContain(first.secret);
    const again = resolveMasterKey(validateEnv({}), path);
    expect(again).toMatchObject({ source: 'file', secret: first.secret });
  });

  it('refuses to make one up for MySQL or production', () => {
    expect(() => resolveMasterKey(validateEnv({ DATABASE_URL: 'mysql://r@h/db' }), file())).toThrow(/TOLLGATE_SECRET is required/);
  });
});
