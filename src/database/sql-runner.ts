import type { EntityManager } from 'typeorm';

/** What one statement did: rows for a SELECT, the affected count for a write. */
export interface SqlResult {
  rows: Record<string, unknown>[];
  affected: number;
}

/**
 * Raw statements with `?` placeholders on one connection, and what each did: the quota ledger's
 * conditional UPDATEs and the usage batches' multi-row INSERTs and upserts. See {@link managerRunner}.
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
