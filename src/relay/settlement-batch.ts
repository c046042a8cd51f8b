import type { SqlRunner, SqliteRunner } from '../database/sql-runner';
import { unixNow } from '../common/unix-time';
import { recordUsageBatch, UsageRecordInput } from '../usages/usage-batch';

/**
 * What a request reserved before its upstream call (quota units; 0 for unlimited tokens). On MySQL
 * `reserved` drops to 0 should the reserve's COMMIT fail after the grant (see `mysql-reserves.ts`).
 */
export interface Reservation {
  tokenId: number;
  unlimited: boolean;
  reserved: number;
}

/** One request's settlement: its reservation, the real charge (quota units) and its usage record. */
export interface Settlement {
  reservation: Reservation;
  charge: number;
  record: Omit<UsageRecordInput, 'quota'>;
}

/** The reserve of issue 4: one atomic conditional UPDATE (`?`: amount, amount, now, token id, amount). */
export const RESERVE_SQL =
  'UPDATE tokens SET remain_quota = remain_quota - ?, used_quota = used_quota + ?, accessed_time = ? WHERE id = ? AND remain_quota >= ?';

/**
 * Runs many reserves in one SQLite transaction, each still its own atomic conditional UPDATE
 * ({@link RESERVE_SQL}): one commit (and one WAL frame for a token's page) for all of them.
 * `reserves` holds flat `[tokenId, amount, …]` pairs in quota units; `now` is unix seconds.
 * @returns 1 per reserve that fitted, 0 per reserve the quota did not cover, in order.
 * @throws the driver's error (the transaction is rolled back, nothing is reserved).
 */
export function reserveBatch(runner: SqliteRunner, reserves: number[], now: number): number[] {
  runner.execNow('BEGIN IMMEDIATE');
  try {
    const granted: number[] = [];
    for (let i = 0; i < reserves.length; i += 2) {
      const tokenId = reserves[i];
      const amount = reserves[i + 1];
      granted.push(runner.execNow(RESERVE_SQL, [amount, amount, now, tokenId, amount]).affected);
    }
    runner.execNow('COMMIT');
    return granted;
  } catch (error) {
    try {
      runner.execNow('ROLLBACK');
    } catch {
      // no transaction left to roll back
    }
    throw error;
  }
}

const REFUND_SQL = 'UPDATE tokens SET remain_quota = remain_quota + ?, used_quota = used_quota - ?, accessed_time = ? WHERE id = ?';
const UNLIMITED_SQL = 'UPDATE tokens SET used_quota = used_quota + ?, accessed_time = ? WHERE id = ?';

/**
 * Writes a batch of settlements in one transaction on `runner`: extra charges (real usage above
 * the reservation; rare, each conditional and capped at what is left, so never below zero), then
 * the usage records and their rollups, then the refunds summed per token. The token rows come
 * last so that on MySQL they stay locked (and every reserve on them waits) as briefly as possible.
 * `begin` opens the transaction (`BEGIN IMMEDIATE` where a second SQLite connection could race).
 * No framework imports: the metering writer thread runs it too.
 * @returns the quota units each settlement charged, in batch order.
 * @throws the driver's error (the transaction is rolled back).
 */
export async function writeSettlements(runner: SqlRunner, batch: Settlement[], begin = runner.mysql ? 'START TRANSACTION' : 'BEGIN'): Promise<number[]> {
  await runner.exec(begin);
  try {
    const charged = await chargeExtras(runner, batch);
    await recordUsageBatch(
      batch.map((p, i) => ({ ...p.record, quota: charged[i] })),
      runner,
    );
    await refund(runner, batch);
    await runner.exec('COMMIT');
    return charged;
  } catch (error) {
    await runner.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Charges what real usage needed beyond the reservation, each conditional and capped at what
 * is left (never below zero). @returns what each settlement charged (quota units).
 */
async function chargeExtras(runner: SqlRunner, batch: Settlement[]): Promise<number[]> {
  const now = unixNow();
  const charged = batch.map((p) => p.charge);
  for (let i = 0; i < batch.length; i++) {
    const { reservation: r, charge } = batch[i];
    if (r.unlimited || charge <= r.reserved) continue;
    const delta = charge - r.reserved;
    if ((await runner.exec(RESERVE_SQL, [delta, delta, now, r.tokenId, delta])).affected === 1) continue;
    // The extra does not fit: charge what is left (read under a row lock on MySQL; SQLite holds the write lock).
    const { rows } = await runner.exec(`SELECT remain_quota FROM tokens WHERE id = ?${runner.mysql ? ' FOR UPDATE' : ''}`, [r.tokenId]);
    const left = Math.max(0, Math.min(delta, Number(rows[0]?.remain_quota ?? 0)));
    if (left > 0 && (await runner.exec(RESERVE_SQL, [left, left, now, r.tokenId, left])).affected === 1) charged[i] = r.reserved + left;
    else charged[i] = r.reserved;
  }
  return charged;
}

/** Gives back unused reservations (summed per token) and adds unlimited tokens' use, by token id. */
async function refund(runner: SqlRunner, batch: Settlement[]): Promise<void> {
  const now = unixNow();
  const refunds = new Map<number, number>();
  const unlimited = new Map<number, number>();
  for (const { reservation: r, charge } of batch) {
    if (r.unlimited) unlimited.set(r.tokenId, (unlimited.get(r.tokenId) ?? 0) + charge);
    else if (charge < r.reserved) refunds.set(r.tokenId, (refunds.get(r.tokenId) ?? 0) + r.reserved - charge);
  }
  for (const tokenId of [...new Set([...unlimited.keys(), ...refunds.keys()])].sort((a, b) => a - b)) {
    const used = unlimited.get(tokenId);
    if (used) await runner.exec(UNLIMITED_SQL, [used, now, tokenId]);
    const back = refunds.get(tokenId);
    if (back) await runner.exec(REFUND_SQL, [back, back, now, tokenId]);
  }
}
