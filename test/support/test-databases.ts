import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/** A database for one e2e describe block: `url` to hand to the app, `drop()` to clean up. */
export interface TestDatabase {
  label: string;
  create(): Promise<string>;
  drop(): Promise<void>;
}

/**
 * A SQLite file in a fresh temporary directory, as deployed (WAL, and the settlement writer
 * thread that only a file gets), removed after.
 */
function sqliteFile(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-'));
  return {
    label: 'sqlite',
    create: async () => `sqlite:${join(dir, 'tollgate.sqlite')}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** SQLite in memory: one connection only, so settlements are written on the main thread (no writer thread). */
function sqliteMemory(): TestDatabase {
  return { label: 'sqlite-memory', create: async () => 'sqlite::memory:', drop: async () => undefined };
}

/** A fresh MySQL/MariaDB database on the server of `TEST_DATABASE_URL`, created here and dropped after. */
function mysqlFresh(serverUrl: string): TestDatabase {
  const url = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  const name = `tollgate_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = () =>
    createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username || 'root'),
      password: decodeURIComponent(url.password),
    });
  return {
    label: 'mariadb',
    async create() {
      const conn = await admin();
      await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await conn.end();
      const target = new URL(url.toString());
      target.pathname = `/${name}`;
      return target.toString();
    },
    async drop() {
      const conn = await admin();
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}

/**
 * The databases every e2e suite runs on: a SQLite file always, and MySQL/MariaDB when
 * `TEST_DATABASE_URL=mysql://user:pass@host:port/any` is set; `withMemory` adds SQLite in memory
 * (the metering suites, for its main-thread settlement path). Use with `describe.each`.
 */
export function testDatabases(options: { withMemory?: boolean } = {}): [string, () => TestDatabase][] {
  const list: [string, () => TestDatabase][] = [['sqlite', sqliteFile]];
  if (options.withMemory) list.push(['sqlite-memory', sqliteMemory]);
  const server = process.env.TEST_DATABASE_URL;
  if (server) list.push(['mariadb', () => mysqlFresh(server)]);
  return list;
}
