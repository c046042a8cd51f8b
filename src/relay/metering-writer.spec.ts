import { SqliteTransactionLock } from '../database/sqlite-transaction-lock';
import { MeteringWriter } from './metering-writer';
import type { Settlement } from './settlement-batch';
import type { WriterReply, WriterRequest, WriterThread } from './writer-thread';

/** A writer thread stand-in: answers each message after `delayMs(n)` ms; grants a reserve while `quota` covers it. */
class FakeThread {
  readonly requests: Omit<WriterRequest, 'id'>[] = [];
  quota = Number.MAX_SAFE_INTEGER;
  failWith: Error | undefined;
  settleError: string | undefined;
  /** Messages sent and not answered yet. */
  outstanding = 0;
  /** When set, messages wait for {@link answerNext} instead of a timer. */
  manual = false;
  private held: (() => void)[] = [];

  /** Answers the oldest message held back in manual mode. */
  answerNext(): void {
    this.held.shift()?.();
  }

  send(request: Omit<WriterRequest, 'id'>): Promise<WriterReply> {
    this.requests.push(request);
    this.outstanding++;
    return new Promise((resolve, reject) => {
      const answer = () => {
        this.outstanding--;
        if (this.failWith) return reject(this.failWith);
        const reply: WriterReply = { id: this.requests.length };
        if (request.reserves.length > 0) {
          reply.granted = [];
          for (let i = 1; i < request.reserves.length; i += 2) {
            const fits = this.quota >= request.reserves[i];
            if (fits) this.quota -= request.reserves[i];
            reply.granted.push(fits ? 1 : 0);
          }
        }
        if (request.settlements.length > 0) {
          if (this.settleError) reply.settleError = this.settleError;
          else reply.charged = request.settlements.map((s) => s.charge);
        }
        resolve(reply);
      };
      if (this.manual) this.held.push(answer);
      else setTimeout(answer, 1);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Lets timers of 0 ms, immediates and microtasks run. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 2));

function settlement(requestId: string): Settlement {
  return {
    reservation: { tokenId: 1, unlimited: false, reserved: 10 },
    charge: 5,
    record: {
      userId: 1, tokenId: 1, keyId: 1, model: 'gpt-3.5-turbo', promptTokens: 1, completionTokens: 1, totalTokens: 2,
      costUsd: '0.000004', statusCode: 200, isStream: false, latencyMs: 1, ip: '127.0.0.1', requestId, createdAt: new Date(),
    },
  };
}

describe('MeteringWriter (SQLite file: reserves and settlements through the writer thread)', () => {
  let thread: FakeThread;
  let lock: SqliteTransactionLock;
  let failed: { ids: string[]; message: string }[];
  let writer: MeteringWriter;

  beforeEach(() => {
    thread = new FakeThread();
    lock = new SqliteTransactionLock();
    failed = [];
    const onError = (batch: Settlement[], error: Error) => failed.push({ ids: batch.map((s) => s.record.requestId), message: error.message });
    writer = new MeteringWriter(thread as unknown as WriterThread, lock, onError, 5);
  });

  it('sends the reserves of one event-loop turn in one message and grants each only while the quota covers it', async () => {
    thread.quota = 25;
    const results = await Promise.all([writer.reserve(1, 10), writer.reserve(1, 10), writer.reserve(1, 10), writer.reserve(2, 5)]);
    expect(thread.requests).toHaveLength(1);
    expect(thread.requests[0].reserves).toEqual([1, 10, 1, 10, 1, 10, 2, 5]);
    expect(results).toEqual([
      { tokenId: 1, unlimited: false, reserved: 10 },
      { tokenId: 1, unlimited: false, reserved: 10 },
      undefined,
      { tokenId: 2, unlimited: false, reserved: 5 },
    ]);
  });

  it('holds the lock while a message is in the thread, and lets a waiting statement in before sending more', async () => {
    thread.manual = true;
    const first = writer.reserve(1, 1);
    await turn();
    expect(thread.requests).toHaveLength(1);
    expect(lock.idle).toBe(false); // message 1 is in the thread: the lock is held

    let inThreadMeanwhile = -1;
    const statement = lock.runExclusive(() => (inThreadMeanwhile = thread.outstanding)); // a TypeORM statement, say
    const second = writer.reserve(1, 1);
    await turn();
    expect(thread.requests).toHaveLength(1); // held back: the statement waits for a gap

    thread.answerNext();
    await statement;
    expect(inThreadMeanwhile).toBe(0);
    await turn();
    expect(thread.requests).toHaveLength(2); // then the reserve goes
    thread.answerNext();
    await expect(Promise.all([first, second])).resolves.toEqual([
      { tokenId: 1, unlimited: false, reserved: 1 },
      { tokenId: 1, unlimited: false, reserved: 1 },
    ]);
    await writer.drain();
    expect(lock.idle).toBe(true);
  });

  it('sends queued settlements on drain() without waiting for the delay, and reports a batch the thread did not write', async () => {
    writer.settle(settlement('a'));
    writer.settle(settlement('b'));
    await writer.drain();
    expect(thread.requests.map((r) => r.settlements.map((s) => s.record.requestId))).toEqual([['a', 'b']]);
    expect(failed).toEqual([]);

    thread.settleError = 'SQLITE_FULL: database or disk is full';
    writer.settle(settlement('c'));
    await writer.drain();
    expect(failed).toEqual([{ ids: ['c'], message: 'SQLITE_FULL: database or disk is full' }]);
  });

  it('sends settlements by themselves once they have gathered for the delay', async () => {
    writer.settle(settlement('a'));
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(thread.requests).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(thread.requests).toHaveLength(1);
  });

  it('rejects the reserves of a message the thread could not take, lets the lock go, and reports its settlements', async () => {
    thread.failWith = new Error('metering writer thread exited (1)');
    writer.settle(settlement('a'));
    const reserved = writer.reserve(1, 10);
    await expect(reserved).rejects.toThrow('metering writer thread exited (1)');
    await writer.drain();
    expect(failed).toEqual([{ ids: ['a'], message: 'metering writer thread exited (1)' }]);
    expect(lock.idle).toBe(true);
  });
});
