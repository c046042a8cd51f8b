import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { Mysql2Queryable, mysqlRunner, SqliteRunner, SqlRunner, sqliteRunner } from '../database/sql-runner';
import { sqliteLockOf, SqliteTransactionLock } from '../database/sqlite-transaction-lock';
import { unixNow } from '../tokens/token-status';
import { UsageRecorder, UsageRecordInput } from '../usages/usage-recorder.service';

/** What a request reserved before its upstream call (quota units; 0 for unlimited tokens). */
export interface Reservation {
  tokenId: number;
  unlimited: boolean;
  reserved: number;
}

interface PendingSettlement {
  reservation: Reservation;
  charge: number;
  record: Omit<UsageRecordInput, 'quota'>;
  resolve(charged: number): void;
  reject(error: Error): void;
}

interface MysqlPool extends Mysql2Queryable {
  execute(sql: string, params: unknown[], callback: (error: Error | null, result: unknown) => void): void;
  getConnection(callback: (error: Error | null, connection: Mysql2Queryable & { release(): void }) => void): void;
}

const RESERVE_SQL =
  'UPDATE tokens SET remain_quota = remain_quota - ?, used_quota = used_quota + ?, accessed_time = ? WHERE id = ? AND remain_quota >= ?';
const REFUND_SQL = 'UPDATE tokens SET remain_quota = remain_quota + ?, used_quota = used_quota - ?, accessed_time = ? WHERE id = ?';
const UNLIMITED_SQL = 'UPDATE tokens SET used_quota = used_quota + ?, accessed_time = ? WHERE id = ?';
/** Settlements written per transaction at most. */
const MAX_BATCH = 256;
/**
 * How long settlements gather before a batch is written: a few ms turns one-at-a-time traffic
 * into batches too (one commit and one upsert per rollup key for all of them), and keeps the
 * write off the next request's path. A crash in that window keeps the reservations charged.
 */
const FLUSH_DELAY_MS = 5;
/** Attempts of one batch on MySQL deadlock (1213) or lock wait timeout (1205). */
const MAX_ATTEMPTS = 4;


/**
 * Quota metering of issue 4, with the fewest writes exactness needs.
 *
 * - `reserve`: one atomic conditional `UPDATE tokens SET remain_quota = remain_quota - ? ... WHERE
 *   id = ? AND remain_quota >= ?` before the upstream call (nothing for unlimited tokens). Concurrent
 *   requests can never drive `remain_quota` below zero: the database decides each one.
 * - `settle`: queued and written in batches, one transaction per batch: refunds per token summed into
 *   one UPDATE, extra charges (actual above the estimate) each conditional and capped at what is left,
 *   the usage records as multi-row INSERTs and their rollups as one adding upsert per key. The client's
 *   answer does not wait for it; `drain()` waits (tests, shutdown).
 *
 * SQLite runs these statements straight on better-sqlite3 (prepared, synchronous) under the
 * {@link SqliteTransactionLock}, so they never land inside another request's TypeORM transaction.
 * MySQL uses the driver's mysql2 pool directly and retries a batch on deadlock.
 */
@Injectable()
export class MeteringService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Metering');
  private readonly sqlite?: { runner: SqliteRunner; lock: SqliteTransactionLock };
  private readonly pool?: MysqlPool;
  private queue: PendingSettlement[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly recorder: UsageRecorder,
  ) {
    const driver = dataSource.driver as unknown as { pool?: MysqlPool; databaseConnection?: Database };
    if (dataSource.driver.options.type === 'mysql') {
      this.pool = driver.pool;
    } else {
      const lock = sqliteLockOf(dataSource);
      if (!lock || !driver.databaseConnection) throw new Error('SQLite metering needs the SqliteTransactionLock installed on the data source');
      this.sqlite = { runner: sqliteRunner(driver.databaseConnection), lock };
    }
  }

  /**
   * Reserves `amount` quota units: `remain_quota -= amount, used_quota += amount, accessed_time = now`
   * only if `remain_quota >= amount`, in one statement. Unlimited tokens reserve nothing (no write).
   * On SQLite with no transaction open the statement runs at once and the result is returned
   * as is (no promise); otherwise it is a promise.
   * @returns the reservation, or undefined when the quota does not cover it.
   */
  reserve(tokenId: number, unlimited: boolean, amount: number): Reservation | undefined | Promise<Reservation | undefined> {
    if (unlimited || amount <= 0) return { tokenId, unlimited, reserved: 0 };
    const params = [amount, amount, unixNow(), tokenId, amount];
    const granted = (affected: number) => (affected === 1 ? { tokenId, unlimited, reserved: amount } : undefined);
    if (this.sqlite) {
      const { runner, lock } = this.sqlite;
      if (lock.idle) return granted(runner.execNow(RESERVE_SQL, params).affected);
      return lock.runExclusive(() => granted(runner.execNow(RESERVE_SQL, params).affected));
    }
    // A server-side prepared statement (binary protocol): no SQL text to escape here or to parse there.
    return new Promise((resolve, reject) =>
      this.pool!.execute(RESERVE_SQL, params, (error, result) => (error ? reject(error) : resolve(granted(Number((result as { affectedRows?: number }).affectedRows ?? 0))))),
    );
  }

  /**
   * Settles a reservation to `charge` quota units and writes the usage record (queued; written
   * with others in one transaction): refunds the difference when the charge is smaller; when
   * larger, charges the extra only as far as `remain_quota` goes (never below zero).
   * @returns the quota units actually charged, once the batch has committed.
   */
  settle(reservation: Reservation, charge: number, record: Omit<UsageRecordInput, 'quota'>): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ reservation, charge: Math.max(0, Math.floor(charge)), record, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Resolves once every settlement queued so far is written (or has failed and been logged). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  private async flushLoop(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS)); // let settlements gather into one batch
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const charged = await this.writeBatch(batch);
          batch.forEach((p, i) => p.resolve(charged[i]));
        } catch (error) {
          const ids = batch.map((p) => p.record.requestId).join(',');
          this.logger.error(`settling ${batch.length} request(s) failed, reservations kept: ${(error as Error).message} [${ids}]`);
          batch.forEach((p) => p.reject(error as Error));
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeBatch(batch: PendingSettlement[]): Promise<number[]> {
    if (this.sqlite) {
      const { runner, lock } = this.sqlite;
      return lock.hold(() => this.inTransaction(runner, batch));
    }
    for (let attempt = 1; ; attempt++) {
      const connection = await new Promise<Mysql2Queryable & { release(): void }>((resolve, reject) =>
        this.pool!.getConnection((error, conn) => (error ? reject(error) : resolve(conn))),
      );
      try {
        return await this.inTransaction(mysqlRunner(connection), batch);
      } catch (error) {
        const errno = (error as { errno?: number }).errno;
        if (attempt >= MAX_ATTEMPTS || (errno !== 1213 && errno !== 1205)) throw error;
      } finally {
        connection.release();
      }
    }
  }

  private async inTransaction(runner: SqlRunner, batch: PendingSettlement[]): Promise<number[]> {
    await runner.exec(runner.mysql ? 'START TRANSACTION' : 'BEGIN');
    try {
      // Extra charges first (rare; their outcome is the recorded quota), then records and rollups,
      // and the refunds last: the token rows stay locked (MySQL) for as short a time as possible,
      // since every reservation on them waits for that lock.
      const charged = await this.chargeExtras(runner, batch);
      await this.recorder.recordBatch(
        batch.map((p, i) => ({ ...p.record, quota: charged[i] })),
        runner,
      );
      await this.refund(runner, batch);
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
  private async chargeExtras(runner: SqlRunner, batch: PendingSettlement[]): Promise<number[]> {
    const now = unixNow();
    const charged = batch.map((p) => p.charge);
    for (let i = 0; i < batch.length; i++) {
      const { reservation: r, charge } = batch[i];
      if (r.unlimited || charge <= r.reserved) continue;
      const delta = charge - r.reserved;
      if ((await runner.exec(RESERVE_SQL, [delta, delta, now, r.tokenId, delta])).affected === 1) continue;
      // The extra does not fit: charge what is left (read under a row lock on MySQL; SQLite holds the lock).
      const { rows } = await runner.exec(`SELECT remain_quota FROM tokens WHERE id = ?${runner.mysql ? ' FOR UPDATE' : ''}`, [r.tokenId]);
      const left = Math.max(0, Math.min(delta, Number(rows[0]?.remain_quota ?? 0)));
      if (left > 0 && (await runner.exec(RESERVE_SQL, [left, left, now, r.tokenId, left])).affected === 1) charged[i] = r.reserved + left;
      else charged[i] = r.reserved;
    }
    return charged;
  }

  /** Gives back unused reservations (summed per token) and adds unlimited tokens' use, by token id. */
  private async refund(runner: SqlRunner, batch: PendingSettlement[]): Promise<void> {
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
}
