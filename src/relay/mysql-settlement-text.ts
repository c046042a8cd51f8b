import { format } from 'mysql2';
import type { SqlRunner } from '../database/sql-runner';
import { Settlement, writeSettlements } from './settlement-batch';

/**
 * A settlement batch for MySQL as one multi-statement text (issue 4): `START TRANSACTION;
 * INSERT INTO usage_records …; rollup upserts; refunds; COMMIT`, the very statements
 * {@link writeSettlements} runs one round trip each, with their values escaped by mysql2 as its
 * own client-side placeholders would be (dates as UTC, like the app's pool). Only a batch that
 * reads nothing back can go this way: one where no settlement charges beyond its reservation
 * (those read `remain_quota`).
 * @returns the text, or undefined when the batch must run statement by statement.
 */
export async function settlementText(batch: Settlement[]): Promise<string | undefined> {
  if (!batch.every(({ reservation: r, charge }) => r.unlimited || charge <= r.reserved)) return undefined;
  const statements: string[] = [];
  const recorder: SqlRunner = {
    mysql: true,
    exec(sql, params = []) {
      statements.push(format(sql, params as Parameters<typeof format>[1], false, 'Z'));
      return Promise.resolve({ rows: [], affected: 0 });
    },
  };
  await writeSettlements(recorder, batch);
  return statements.join(';');
}
