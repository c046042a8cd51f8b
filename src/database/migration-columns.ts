import type { QueryRunner, TableColumnOptions } from 'typeorm';

/** True when the migration runs on MySQL/MariaDB. */
export function isMysql(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.driver.options.type === 'mysql';
}

/** Auto-increment integer primary key `id`. */
export function idColumn(): TableColumnOptions {
  return { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
}

/** A UTC timestamp (`datetime(3)` on MySQL, `datetime` text on SQLite). */
export function timestampColumn(queryRunner: QueryRunner, name: string, nullable = false): TableColumnOptions {
  return isMysql(queryRunner)
    ? { name, type: 'datetime', precision: 3, isNullable: nullable }
    : { name, type: 'datetime', isNullable: nullable };
}
