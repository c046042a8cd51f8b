import type { Reservation } from './settlement-batch';
import { unixNow } from '../common/unix-time';

interface PendingReserve {
  tokenId: number;
  amount: number;
  resolve(reservation: Reservation | undefined): void;
  reject(error: Error): void;
}

/** What this needs of a mysql2 connection (callback API) opened with `multipleStatements: true`. */
export interface MultiStatementConnection {
  query(sql: string, callback: (error: (Error & { errno?: number; fatal?: boolean }) | null, results: unknown) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  end(callback?: (error?: Error) => void): void;
  destroy(): void;
}

/** Reserves per round trip at most. */
const MAX_BATCH = 256;
/** Attempts of one batch on deadlock (1213) or lock wait timeout (1205). */
const MAX_ATTEMPTS = 4;

/**
 * The MySQL reserves of issue 4, batched: the reserves that arrive while a round trip is under way
 * (and those of one event-loop turn) go to the server together, on a connection of their own, as one
 * multi-statement text `START TRANSACTION; UPDATE …; UPDATE …; COMMIT` (a lone reserve as its
 * UPDATE alone, in autocommit) — still one atomic conditional UPDATE per reserve, in arrival order,
 * but one network write, one round trip and one durable commit for all of them instead of one each. Values are integers checked here (quota
 * units, token ids, unix seconds), so the text carries no user input.
 */
export class MysqlReserveBatcher {
  private queue: PendingReserve[] = [];
  private running: Promise<void> | undefined;
  private connection: MultiStatementConnection | undefined;

  /** @param connect opens a mysql2 connection with `multipleStatements: true` (called again after a fatal error) */
  constructor(private readonly connect: () => MultiStatementConnection) {}

  /**
   * Reserves `amount` quota units on token `tokenId` in the next round trip.
   * @returns the reservation, or undefined when the quota does not cover it.
   * @throws the driver's error when the batch's transaction failed (nothing of it was reserved).
   */
  reserve(tokenId: number, amount: number): Promise<Reservation | undefined> {
    if (!Number.isSafeInteger(tokenId) || !Number.isSafeInteger(amount)) return Promise.reject(new Error('reserve: token id and amount must be integers'));
    return new Promise((resolve, reject) => {
      this.queue.push({ tokenId, amount, resolve, reject });
      this.running ??= this.run();
    });
  }

  /** Resolves once every reserve queued so far has its answer. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Closes the connection (after {@link drain}). */
  close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    return new Promise((resolve) => (connection ? connection.end(() => resolve()) : resolve()));
  }

  private async run(): Promise<void> {
    try {
      await new Promise((resolve) => setImmediate(resolve)); // the reserves of this event-loop turn go together
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const granted = await this.attempt(batch);
          batch.forEach((r, i) => r.resolve(granted[i] === 1 ? { tokenId: r.tokenId, unlimited: false, reserved: r.amount } : undefined));
        } catch (error) {
          for (const r of batch) r.reject(error as Error);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  /**
   * One transaction for `batch`, retried on deadlock or lock wait timeout. A lone reserve goes as
   * the bare UPDATE in autocommit: the same single atomic statement, one result packet instead of
   * three (in a loop of 2,000 on MariaDB, p50 0.03-0.06 ms lower in each of 6 rounds, about 0.5 ms
   * against 0.55).
   * @returns affected rows per reserve, in batch order
   * @throws the driver's error once retries are spent or for any other error (nothing reserved)
   */
  private async attempt(batch: PendingReserve[]): Promise<number[]> {
    const now = unixNow();
    const updates = batch.map(
      ({ tokenId, amount }) =>
        `UPDATE tokens SET remain_quota = remain_quota - ${amount}, used_quota = used_quota + ${amount}, accessed_time = ${now} WHERE id = ${tokenId} AND remain_quota >= ${amount}`,
    );
    const lone = updates.length === 1;
    const sql = lone ? updates[0] : `START TRANSACTION;${updates.join(';')};COMMIT`;
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.query(sql);
        if (lone) return [Number((results as { affectedRows?: number }).affectedRows ?? 0)];
        return batch.map((_, i) => Number((results as { affectedRows?: number }[])[i + 1]?.affectedRows ?? 0));
      } catch (error) {
        // a failed statement stops the text there, inside the transaction: end it
        if (!lone) await this.query('ROLLBACK').catch(() => undefined);
        const errno = (error as { errno?: number }).errno;
        if (attempt >= MAX_ATTEMPTS || (errno !== 1213 && errno !== 1205)) throw error;
      }
    }
  }

  private query(sql: string): Promise<unknown> {
    if (!this.connection) {
      const connection = this.connect();
      // a dead connection is replaced on the next query; the error itself reaches that query's callback
      connection.on('error', () => {
        if (this.connection === connection) this.connection = undefined;
      });
      this.connection = connection;
    }
    const connection = this.connection;
    return new Promise((resolve, reject) =>
      connection.query(sql, (error, results) => {
        if (error?.fatal && this.connection === connection) {
          this.connection = undefined;
          connection.destroy();
        }
        return error ? reject(error) : resolve(results);
      }),
    );
  }
}
