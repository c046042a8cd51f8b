import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Settlement } from './settlement-batch';

/** One round trip to the writer thread: reserves as flat `[tokenId, amount, …]` pairs (quota units), `now` in unix seconds. */
export interface WriterRequest {
  id: number;
  now: number;
  reserves: number[];
  settlements: Settlement[];
}

/**
 * The thread's answer: `granted[i]` is 1 when reserve i fitted (0 when the quota did not cover it),
 * `charged[i]` the quota units settlement i charged; an `…Error` instead when that transaction
 * failed and was rolled back.
 */
export interface WriterReply {
  id: number;
  granted?: number[];
  reserveError?: string;
  charged?: number[];
  settleError?: string;
}

interface Pending {
  resolve(reply: WriterReply): void;
  reject(error: Error): void;
  /** The thread the request went to (a restarted thread has its own requests). */
  worker: Worker;
}

/**
 * The main thread's handle on the writer thread (`writer.worker`), which does the relay's writes to
 * a SQLite file on a connection of its own, so the main thread's event loop spends no time in them.
 * Started on first use and again after a crash.
 */
export class WriterThread {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly file: string) {}

  /**
   * Sends one request (see {@link WriterRequest}).
   * @returns the thread's reply once its transactions are committed or rolled back.
   * @throws Error when the thread died or could not start (nothing of the request is known to be written).
   */
  send(request: Omit<WriterRequest, 'id'>): Promise<WriterReply> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      // only the data crosses the thread boundary (a caller's settlement may carry callbacks)
      const settlements = request.settlements.map(({ reservation, charge, record }) => ({ reservation, charge, record }));
      worker.postMessage({ id, now: request.now, reserves: request.reserves, settlements });
    });
  }

  /** Closes the writer's connection and ends the thread (after the requests sent so far). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ close: true });
    await exited;
  }

  private start(): Worker {
    // dist/ runs the compiled .js; under ts-jest or ts-node the source .ts goes through ts-node.
    const script = join(__dirname, `writer.worker${extname(__filename)}`);
    const worker = script.endsWith('.ts')
      ? new Worker(`require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(script)});`, { eval: true, workerData: { file: this.file } })
      : new Worker(script, { workerData: { file: this.file } });
    worker.on('message', (reply: WriterReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      waiting.resolve(reply);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiting] of this.pending) {
        if (waiting.worker !== worker) continue;
        this.pending.delete(id);
        waiting.reject(error);
      }
    };
    // An error thrown in the thread arrives structured-cloned: a SqliteError becomes a plain `{ code }`.
    worker.on('error', (error: unknown) => {
      const { message, code } = (error ?? {}) as { message?: string; code?: string };
      fail(new Error(`metering writer thread failed: ${[code, message].filter(Boolean).join(': ') || String(error)}`));
    });
    worker.unref(); // shutdown drains and closes it; it never holds the process open by itself
    worker.on('exit', (code) => fail(new Error(`metering writer thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
