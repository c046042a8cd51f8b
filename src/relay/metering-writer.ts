import { unixNow } from '../common/unix-time';
import type { SqliteTransactionLock } from '../database/sqlite-transaction-lock';
import type { Reservation, Settlement } from './settlement-batch';
import type { WriterReply, WriterRequest, WriterThread } from './writer-thread';

interface PendingReserve {
  tokenId: number;
  amount: number;
  resolve(reservation: Reservation | undefined): void;
  reject(error: Error): void;
}

/** Settlements sent per message at most. */
const MAX_SETTLEMENTS = 256;

/**
 * The relay's writes to a SQLite file, all done by the writer thread ({@link WriterThread}), so the
 * main thread's event loop never runs them and never waits on SQLite's file lock.
 *
 * - Reserves (those MeteringService sends here: while the lock is taken or another reservation is
 *   open): those of one event-loop turn go in one message, one transaction there (each still its
 *   own conditional UPDATE, issue 4), sent at once even while earlier messages are in the thread's
 *   queue: a reserve waits for the thread, never for a round trip.
 * - Settlements: gathered for `flushDelayMs`, then sent in messages of up to 256 (one transaction each).
 * - Lock: while any message is in the thread, the main connection's {@link SqliteTransactionLock}
 *   is held, so TypeORM statements on that connection never run beside the writer's transaction.
 *   When one waits for it, no new message goes until the thread's queue is empty and it got its turn.
 */
export class MeteringWriter {
  private reserves: PendingReserve[] = [];
  private settlements: Settlement[] = [];
  private settleDue = false;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private readonly inThread = new Set<Promise<void>>();
  /** The lock while messages are in the thread: `release` lets it go, `released` resolves then. */
  private session: { release(): void; released: Promise<void> } | undefined;
  private opening: Promise<void> | undefined;

  /**
   * @param onSettleError told of settlements that were not written (their reservations stay charged)
   * @param flushDelayMs how long settlements gather before they are sent (ms)
   */
  constructor(
    private readonly thread: WriterThread,
    private readonly lock: SqliteTransactionLock,
    private readonly onSettleError: (batch: Settlement[], error: Error) => void,
    private readonly flushDelayMs: number,
  ) {}

  /**
   * Reserves `amount` quota units on token `tokenId` (sent at the end of this event-loop turn).
   * @returns the reservation, or undefined when the quota does not cover it.
   * @throws Error when the writer thread or its transaction failed (nothing was reserved).
   */
  reserve(tokenId: number, amount: number): Promise<Reservation | undefined> {
    return new Promise((resolve, reject) => {
      this.reserves.push({ tokenId, amount, resolve, reject });
      this.pumping ??= this.pump();
    });
  }

  /** Queues a settlement; it is sent within `flushDelayMs`. */
  settle(settlement: Settlement): void {
    this.settlements.push(settlement);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.settleDue = true;
      this.pumping ??= this.pump();
    }, this.flushDelayMs);
  }

  /** Resolves once every reserve and settlement queued so far is written (or has failed). */
  async drain(): Promise<void> {
    while (this.pumping || this.inThread.size > 0 || this.settlements.length > 0 || this.reserves.length > 0) {
      if (this.settlements.length > 0) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.settleDue = true;
      }
      this.pumping ??= this.pump();
      await Promise.all([this.pumping, ...this.inThread]);
    }
  }

  /** Ends the writer thread (call after {@link drain}). */
  close(): Promise<void> {
    return this.thread.close();
  }

  /** Sends what is queued, once per event-loop turn, until nothing is left to send. */
  private async pump(): Promise<void> {
    try {
      for (;;) {
        // one event-loop turn: the reserves of this turn go together
        await new Promise((resolve) => setImmediate(resolve));
        const due = this.settleDue && this.settlements.length > 0;
        if (this.reserves.length === 0 && !due) return;
        if (this.session && this.lock.contended) {
          await this.session.released; // a TypeORM statement waits: let the thread's queue run dry first
          continue;
        }
        if (!this.session) await (this.opening ??= this.openSession());
        if (this.reserves.length > 0) this.sendReserves(this.reserves.splice(0));
        while (this.settleDue && this.settlements.length > 0) this.sendSettlements(this.settlements.splice(0, MAX_SETTLEMENTS));
        this.settleDue = false;
      }
    } finally {
      this.pumping = undefined;
    }
  }

  /** Takes the lock for as long as messages are in the thread. */
  private openSession(): Promise<void> {
    return new Promise((acquired) => {
      // hold() runs the function after an await at least, so `released` is assigned by then
      const released: Promise<void> = this.lock.hold(
        () =>
          new Promise<void>((release) => {
            this.session = { release, released };
            this.opening = undefined;
            acquired();
          }),
      );
    });
  }

  private sendReserves(reserves: PendingReserve[]): void {
    const flat: number[] = [];
    for (const r of reserves) flat.push(r.tokenId, r.amount);
    this.send({ now: unixNow(), reserves: flat, settlements: [] }, (reply, failure) => {
      const error = failure ?? (reply?.reserveError !== undefined ? new Error(`reserving quota failed: ${reply.reserveError}`) : undefined);
      reserves.forEach((r, i) =>
        error ? r.reject(error) : r.resolve(reply?.granted?.[i] === 1 ? { tokenId: r.tokenId, unlimited: false, reserved: r.amount } : undefined),
      );
    });
  }

  private sendSettlements(settlements: Settlement[]): void {
    this.send({ now: unixNow(), reserves: [], settlements }, (reply, failure) => {
      const error = failure ?? (reply?.settleError !== undefined ? new Error(reply.settleError) : undefined);
      if (error) this.onSettleError(settlements, error);
    });
  }

  /** Posts one message under the session; the lock goes once the last message in the thread is answered. */
  private send(request: Omit<WriterRequest, 'id'>, done: (reply: WriterReply | undefined, failure?: Error) => void): void {
    let sent: Promise<WriterReply>;
    try {
      sent = this.thread.send(request);
    } catch (error) {
      sent = Promise.reject(error as Error); // the thread could not even be created
    }
    const answered: Promise<void> = sent.then(
      (reply) => done(reply),
      (error: Error) => done(undefined, error),
    );
    const tracked = answered.finally(() => {
      this.inThread.delete(tracked);
      if (this.inThread.size === 0 && this.session) {
        this.session.release();
        this.session = undefined;
      }
    });
    this.inThread.add(tracked);
  }
}
