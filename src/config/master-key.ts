import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EnvironmentVariables } from './env.validation';
import { isEmbeddedDatabase } from '../database/data-source-options';

/** Where the embedded default keeps its generated master key. */
export const SECRET_FILE = resolve('data', 'secret.key');

/** What {@link resolveMasterKey} found, and a line for the log (never the key itself). */
export interface MasterKey {
  secret: string;
  source: 'env' | 'file' | 'generated';
  note: string;
}

/**
 * The master secret for keyed hashes and encryption at rest.
 * `TOLLGATE_SECRET` wins; else, on the embedded SQLite default only, `./data/secret.key`
 * (32 random bytes, hex, mode 0600) is read or created once.
 * @throws Error naming `TOLLGATE_SECRET` when it is unset outside the embedded default
 *   (production, or a MySQL database that several instances share).
 */
export function resolveMasterKey(env: EnvironmentVariables, file = SECRET_FILE): MasterKey {
  if (env.TOLLGATE_SECRET) return { secret: env.TOLLGATE_SECRET, source: 'env', note: 'master key from TOLLGATE_SECRET' };
  if (env.NODE_ENV === 'production' || !isEmbeddedDatabase(env.DATABASE_URL)) {
    throw new Error(
      'Invalid environment: TOLLGATE_SECRET is required (production or MySQL); set it to 32+ random characters, e.g. `openssl rand -hex 32`',
    );
  }
  if (existsSync(file)) {
    return { secret: readFileSync(file, 'utf8').trim(), source: 'file', note: `master key read from ${file}` };
  }
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return {
    secret,
    source: 'generated',
    note: `TOLLGATE_SECRET is unset: generated a master key into ${file} (mode 0600); back it up, encrypted keys cannot be read without it`,
  };
}
