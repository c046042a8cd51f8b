import type { DataSource } from 'typeorm';

/**
 * Deletes the rows of `table` whose `column` is below `before` (a value as the column stores it: a SQL UTC
 * datetime `YYYY-MM-DD HH:MM:SS.mmm`, or a number), `batchSize` rows per statement in `column` order, until
 * none is left, yielding to the event loop between batches so a large purge never holds long locks or the
 * loop. MySQL deletes with `ORDER BY … LIMIT`; SQLite, which has no `DELETE … LIMIT` by default, through
 * the ids of a limited select. `table` and `column` are trusted identifiers (never request input).
 * @returns the number of rows deleted.
 */
export async function deleteInBatches(dataSource: DataSource, table: string, column: string, before: string | number, batchSize: number): Promise<number> {
  const sql =
    dataSource.driver.options.type === 'mysql'
      ? `DELETE FROM ${table} WHERE ${column} < ? ORDER BY ${column} LIMIT ${batchSize}`
      : `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${column} < ? ORDER BY ${column} LIMIT ${batchSize})`;
  let total = 0;
  for (;;) {
    const runner = dataSource.createQueryRunner();
    let affected: number;
    try {
      affected = (await runner.query(sql, [before], true)).affected ?? 0;
    } finally {
      await runner.release();
    }
    total += affected;
    if (affected < batchSize) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
