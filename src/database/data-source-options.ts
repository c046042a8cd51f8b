import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { applySqlitePragmas } from './sqlite-pragmas';

/** The embedded default database file. */
export const DEFAULT_SQLITE_FILE = resolve('data', 'tollgate.sqlite');

/** True when `url` selects SQLite (unset, `sqlite::memory:` or `sqlite:/path`). */
export function isEmbeddedDatabase(url?: string): boolean {
  return !url || url.startsWith('sqlite:');
}

/**
 * The one TypeORM options builder, shared by the app (`TypeOrmModule.forRootAsync`) and
 * the CLI (`ormconfig.ts`). `url` is `DATABASE_URL`:
 * unset → `./data/tollgate.sqlite` (created on first use), `sqlite::memory:`, `sqlite:/path/file`,
 * or `mysql://user:pass@host:port/db` (MySQL/MariaDB through mysql2, times in UTC).
 * Schema comes from migrations only: `synchronize` is always false.
 */
export function buildDataSourceOptions(url?: string): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: false,
  } as const;
  if (isEmbeddedDatabase(url)) {
    const target = !url ? DEFAULT_SQLITE_FILE : url === 'sqlite::memory:' ? ':memory:' : url.slice('sqlite:'.length);
    if (target !== ':memory:') mkdirSync(dirname(resolve(target)), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: target,
      prepareDatabase: applySqlitePragmas,
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: (url as string).replace(/^mariadb:/, 'mysql:'),
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    extra: { connectionLimit: 20 },
  };
}

/**
 * For schema tools (the TypeORM CLI in `ormconfig.ts`, the schema-drift e2e): `buildDataSourceOptions(url)`,
 * with `type: 'mariadb'` when a `mysql://`/`mariadb://` server reports a MariaDB version. TypeORM reads
 * `information_schema` by the declared type: on MariaDB >= 10.2.7 `COLUMN_DEFAULT` is `'NULL'` for a nullable
 * column without a default and string literals come quoted, which a `mysql`-typed data source reports as
 * schema drift. The app itself keeps `type: 'mysql'` (same SQL on MySQL and MariaDB). Connects once
 * (no migrations) and rejects with the driver's error when the server is unreachable.
 */
export async function buildSchemaToolOptions(url?: string): Promise<DataSourceOptions> {
  const options = buildDataSourceOptions(url);
  if (options.type !== 'mysql') return options;
  const probe = await new DataSource({ ...options, entities: [], migrations: [], migrationsRun: false, extra: { connectionLimit: 1 } }).initialize();
  try {
    const [row] = (await probe.query('SELECT VERSION() AS version')) as { version: string }[];
    return /mariadb/i.test(row?.version ?? '') ? { ...options, type: 'mariadb' } : options;
  } finally {
    await probe.destroy();
  }
}
