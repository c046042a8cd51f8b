import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { Mysql2Queryable, mysqlRunner, SqliteRunner, sqliteRunner } from '../database/sql-runner';
import { sqliteLockOf, SqliteTransactionLock } from '../database/sqlite-transaction-lock';
import { unixNow } from '../common/unix-time';
import type { UsageRecordInput } from '../usages/usage-batch';
import { RESERVE_SQL, Reservation, Settlement, writeSettlements } from './settlement-batch';
import { createConnection } from 'mysql2';
import { MeteringWriter } from './metering-writer';
import { MysqlReserveBatcher } from './mysql-reserves';
import { settlementText } from './mysql-settlement-text';
import { MultiStatementConnection, MysqlTextConnection, retryOnLockConflict } from './mysql-text-connection';
import { WriterThread } from './writer-thread';

export type { Reservation } from './settlement-batch';

interface MysqlPool extends Mysql2Queryable {
  execute(sql: string, params: unknown[], callback: (error: Error | null, result: unknown) => void): void;
  getConnection(callback: (error: Error | null, connection: Mysql2Queryable & { release(): void }) => void): void;
}

/** Settlements written per transaction at most. */
const MAX_BATCH = 256;
/**
 * How long settlements gather before a batch is written: a few ms turns one-at-a-time traffic
 * into batches too (one commit and one upsert per rollup key for all of them), and keeps the
 * write off the next request's path. A crash in that window keeps the reservations charged.
 */
const FLUSH_DELAY_MS = 5;

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
 * A SQLite file's settlements go to a writer thread with a connection of its own
 * ({@link MeteringWriter}), and so do its reserves while the thread has work: the reserves of one
 * event-loop turn share a transaction there, and under load the main thread, which serves the
 * requests, spends little time in SQLite writes (they were half of its time per request) and never
 * meets the writer's file lock. When no other reservation is open (one request at a time) and
 * nothing holds the main connection's {@link SqliteTransactionLock} (no message in the thread, no
 * TypeORM transaction), a reserve runs at once on the main connection instead (prepared,
 * synchronous): it needs no hop to the thread and back (interleaved A/B at concurrency 1: added
 * p50 0.12-0.23 ms lower). Under load it goes to the thread even when the lock is free: there the
 * main thread's time is the limit (interleaved A/B at concurrency 32: about 15 % more req/s).
 * `sqlite::memory:` exists only on the main connection: there every reserve runs on it, under the
 * lock, so it never lands inside another request's TypeORM transaction, and batches are written
 * in-process. On MySQL the reserves go batched on a connection of their own
 * ({@link MysqlReserveBatcher}), and a settlement batch goes as one multi-statement text on another
 * ({@link settlementText}; statement by statement on the pool when it must read), retried on
 * deadlock.
 */
@Injectable()
export class MeteringService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Metering');
  private readonly sqlite?: { runner: SqliteRunner; lock: SqliteTransactionLock };
  private readonly writer?: MeteringWriter;
  private readonly pool?: MysqlPool;
  private readonly mysqlReserves?: MysqlReserveBatcher;
  private readonly mysqlSettlements?: MysqlTextConnection;
  /** SQLite file: reservations granted and not yet settled (requests between their reserve and their settlement). */
  private openReservations = 0;
  private queue: Settlement[] = [];
  private flushing: Promise<void> | undefined;

  constructor(@InjectDataSource() dataSource: DataSource) {
    const driver = dataSource.driver as unknown as { pool?: MysqlPool; databaseConnection?: Database };
    if (dataSource.driver.options.type === 'mysql') {
      this.pool = driver.pool;
      const { url } = dataSource.driver.options as { url?: string };
      if (url) {
        const connect = () => createConnection({ uri: url, multipleStatements: true, timezone: 'Z', charset: 'utf8mb4_unicode_ci' }) as unknown as MultiStatementConnection;
        this.mysqlReserves = new MysqlReserveBatcher(new MysqlTextConnection(connect, { autocommit: false }), (error, voided) =>
          this.logger.error(`a reserve transaction's COMMIT failed after ${voided} reservation(s) were granted; their settlements charge in full: ${error.message}`),
        );
        this.mysqlSettlements = new MysqlTextConnection(connect);
      }
    } else {
      const lock = sqliteLockOf(dataSource);
      if (!lock || !driver.databaseConnection) throw new Error('SQLite metering needs the SqliteTransactionLock installed on the data source');
      const file = String((dataSource.driver.options as { database?: string }).database ?? ':memory:');
      this.sqlite = { runner: sqliteRunner(driver.databaseConnection), lock };
      // A database file gets a writer thread of its own; `:memory:` exists only on this connection.
      if (file !== ':memory:' && file !== '') {
        const onError = (batch: Settlement[], error: Error) => this.logFailedBatch(batch, error);
        this.writer = new MeteringWriter(new WriterThread(resolve(file)), lock, onError, FLUSH_DELAY_MS);
      }
    }
  }

  /**
   * Reserves `amount` quota units: `remain_quota -= amount, used_quota += amount, accessed_time = now`
   * only if `remain_quota >= amount`, in one statement. Unlimited tokens reserve nothing (no write).
   * On SQLite with the main connection's lock free the statement runs at once on it and the result
   * is returned as is (no promise); for a file, only when no other reservation is open too (one
   * request at a time). Otherwise it is a promise (the writer thread's for a file).
   * @returns the reservation, or undefined when the quota does not cover it.
   * @throws the driver's error (nothing reserved)
   */
  reserve(tokenId: number, unlimited: boolean, amount: number): Reservation | undefined | Promise<Reservation | undefined> {
    if (unlimited || amount <= 0) return { tokenId, unlimited, reserved: 0 };
    const params = [amount, amount, unixNow(), tokenId, amount];
    const granted = (affected: number) => (affected === 1 ? { tokenId, unlimited, reserved: amount } : undefined);
    if (this.writer) {
      const { runner, lock } = this.sqlite!;
      const reservation = lock.idle && this.openReservations === 0 ? granted(runner.execNow(RESERVE_SQL, params).affected) : this.writer.reserve(tokenId, amount);
      if (!(reservation instanceof Promise)) return this.opened(reservation);
      return reservation.then((r) => this.opened(r));
    }
    if (this.sqlite) {
      const { runner, lock } = this.sqlite;
      if (lock.idle) return granted(runner.execNow(RESERVE_SQL, params).affected);
      return lock.runExclusive(() => granted(runner.execNow(RESERVE_SQL, params).affected));
    }
    if (this.mysqlReserves) return this.mysqlReserves.reserve(tokenId, amount);
    // A server-side prepared statement (binary protocol): no SQL text to escape here or to parse there.
    return new Promise((resolve, reject) =>
      this.pool!.execute(RESERVE_SQL, params, (error, result) => (error ? reject(error) : resolve(granted(Number((result as { affectedRows?: number }).affectedRows ?? 0))))),
    );
  }

  /**
   * Settles a reservation to `charge` quota units and queues the usage record (written with
   * others in one transaction within a few ms): refunds the difference when the charge is smaller;
   * when larger, charges the extra only as far as `remain_quota` goes (never below zero). Returns
   * at once (no promise: the relay's hot path); a failed batch is logged with its request ids,
   * and its reservations stay charged. `drain()` waits for the writes.
   */
  settle(reservation: Reservation, charge: number, record: Omit<UsageRecordInput, 'quota'>): void {
    const settlement = { reservation, charge: Math.max(0, Math.floor(charge)), record };
    if (this.writer) {
      if (reservation.reserved > 0) this.openReservations--;
      return this.writer.settle(settlement);
    }
    this.queue.push(settlement);
    this.flushing ??= this.flushLoop();
  }

  /** Counts a granted reservation as open until its settlement (SQLite file). */
  private opened(reservation: Reservation | undefined): Reservation | undefined {
    if (reservation) this.openReservations++;
    return reservation;
  }

  /** Resolves once every settlement queued so far is written (or has failed and been logged). */
  async drain(): Promise<void> {
    await this.writer?.drain();
    while (this.flushing) await this.flushing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
    await this.writer?.close();
    await this.mysqlReserves?.drain();
    await this.mysqlReserves?.close();
    await this.mysqlSettlements?.close();
  }

  private async flushLoop(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS)); // let settlements gather into one batch
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.writeBatch(batch);
        } catch (error) {
          this.logFailedBatch(batch, error as Error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private logFailedBatch(batch: Settlement[], error: Error): void {
    const ids = batch.map((p) => p.record.requestId).join(',');
    this.logger.error(`settling ${batch.length} request(s) failed, reservations kept: ${error.message} [${ids}]`);
  }

  private async writeBatch(batch: Settlement[]): Promise<void> {
    if (this.sqlite) {
      const { runner, lock } = this.sqlite;
      await lock.hold(() => writeSettlements(runner, batch));
      return;
    }
    // the reservations must be committed (or voided) before the batch reads them
    await this.mysqlReserves?.settled();
    const text = this.mysqlSettlements && (await settlementText(batch));
    if (text) {
      const connection = this.mysqlSettlements!;
      return retryOnLockConflict(async () => void (await connection.transaction(text)));
    }
    return retryOnLockConflict(async () => {
      const connection = await new Promise<Mysql2Queryable & { release(): void }>((resolve, reject) =>
        this.pool!.getConnection((error, conn) => (error ? reject(error) : resolve(conn))),
      );
      try {
        await writeSettlements(mysqlRunner(connection), batch);
      } finally {
        connection.release();
      }
    });
  }
}
