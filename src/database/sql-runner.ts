import type { Database, Statement } from 'better-sqlite3';
import type { EntityManager } from 'typeorm';

/** What one statement did: rows for a SELECT, the affected count for a write. */
export interface SqlResult {
  rows: Record<string, unknown>[];
  affected: number;
}

/**
 * The few raw statements the metering hot path needs, on one connection, with `?` placeholders.
 * Implementations: better-sqlite3 (synchronous, prepared statements cached), a mysql2 connection,
 * or a TypeORM EntityManager (tests and one-off records).
 */
export interface SqlRunner {
  readonly mysql: boolean;
  exec(sql: string, params?: unknown[]): Promise<SqlResult>;
}

/** A parameter as SQLite stores it the way TypeORM does: booleans 1/0, dates `YYYY-MM-DD HH:MM:SS.SSS` UTC. */
export function sqliteParam(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '');
  return value;
}

/** A SqlRunner on better-sqlite3, which can also run a statement synchronously. */
export interface SqliteRunner extends SqlRunner {
  /** Runs one statement now (the caller makes sure no other transaction is open). */
  execNow(sql: string, params?: unknown[]): SqlResult;
}

function needsConversion(value: unknown): boolean {
  return typeof value === 'boolean' || value instanceof Date;
}

/** better-sqlite3 runner (prepared statements cached); `exec` returns a settled promise. */
export function sqliteRunner(db: Database): SqliteRunner {
  const cache = new Map<string, Statement>();
  const execNow = (sql: string, params: unknown[] = []): SqlResult => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      if (cache.size > 500) cache.clear();
      cache.set(sql, stmt);
    }
    const args = params.some(needsConversion) ? params.map(sqliteParam) : params;
    if (stmt.reader) return { rows: stmt.all(...args) as Record<string, unknown>[], affected: 0 };
    return { rows: [], affected: stmt.run(...args).changes };
  };
  return {
    mysql: false,
    execNow,
    exec: (sql, params) => {
      try {
        return Promise.resolve(execNow(sql, params));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

/** A mysql2 (callback API) connection or pool, as TypeORM's MySQL driver holds them. */
export interface Mysql2Queryable {
  query(sql: string, params: unknown[], callback: (error: Error | null, result: unknown) => void): void;
}

/** mysql2 runner (client-side placeholders, one round trip per statement). */
export function mysqlRunner(connection: Mysql2Queryable): SqlRunner {
  return {
    mysql: true,
    exec(sql, params = []) {
      return new Promise((resolve, reject) => {
        connection.query(sql, params, (error, result) => {
          if (error) return reject(error);
          if (Array.isArray(result)) resolve({ rows: result as Record<string, unknown>[], affected: 0 });
          else resolve({ rows: [], affected: Number((result as { affectedRows?: number }).affectedRows ?? 0) });
        });
      });
    },
  };
}

/** Runner over a TypeORM EntityManager (inside its transaction when it has one). */
export function managerRunner(manager: EntityManager): SqlRunner {
  const mysql = manager.connection.driver.options.type === 'mysql';
  return {
    mysql,
    async exec(sql, params = []) {
      const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
      try {
        const result = await runner.query(sql, mysql ? params : params.map(sqliteParam), true);
        return { rows: Array.isArray(result.records) ? result.records : [], affected: Number(result.affected ?? 0) };
      } finally {
        if (!manager.queryRunner) await runner.release();
      }
    },
  };
}
