import type { QueryRunner, TableColumnOptions } from 'typeorm';

/** True when the migration runs on MySQL/MariaDB (driver type `mysql`, or `mariadb` from the CLI on a MariaDB server). */
export function isMysql(queryRunner: QueryRunner): boolean {
  const type = queryRunner.connection.driver.options.type;
  return type === 'mysql' || type === 'mariadb';
}

/*
 * Conventions that keep `migration:generate` empty on SQLite and MySQL/MariaDB (see test/e2e/schema.e2e-spec.ts):
 * boolean defaults are written 0/1 (SQLite keeps a literal `false` as text, TypeORM expects `0`); unique columns
 * get a named unique TableIndex (`uq_<table>_<column>`), matching an `@Index(name, [...], { unique: true })`
 * on the entity, never `isUnique` (TypeORM sees a UQ_ constraint where MySQL has an IDX_ index).
 */

/** Auto-increment integer primary key `id`. */
export function idColumn(): TableColumnOptions {
  return { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
}

/**
 * A UTC timestamp with milliseconds: `datetime(3)` (on SQLite the same declared type, stored as text),
 * matching the entities' `{ type: 'datetime', precision: 3 }` so no schema drift shows on either dialect.
 * `queryRunner` is unused and kept for the existing call sites.
 */
export function timestampColumn(_queryRunner: QueryRunner, name: string, nullable = false): TableColumnOptions {
  return { name, type: 'datetime', precision: 3, isNullable: nullable };
}
