import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

/** A database for one e2e describe block: `url` to hand to the app, `drop()` to clean up. */
export interface TestDatabase {
  label: string;
  create(): Promise<string>;
  drop(): Promise<void>;
}

function sqliteMemory(): TestDatabase {
  return { label: 'sqlite', create: async () => 'sqlite::memory:', drop: async () => undefined };
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
 * The databases every e2e suite runs on: SQLite in memory always, and MySQL/MariaDB when
 * `TEST_DATABASE_URL=mysql://user:pass@host:port/any` is set. Use with `describe.each`.
 */
export function testDatabases(): [string, () => TestDatabase][] {
  const list: [string, () => TestDatabase][] = [['sqlite', sqliteMemory]];
  const server = process.env.TEST_DATABASE_URL;
  if (server) list.push(['mariadb', () => mysqlFresh(server)]);
  return list;
}
