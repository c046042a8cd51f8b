import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Settlement } from './settlement-batch';

interface Pending {
  resolve(charged: number[]): void;
  reject(error: Error): void;
  /** The thread the batch went to (a restarted thread has its own batches). */
  worker: Worker;
}

/**
 * The main thread's handle on the settlement writer thread (`settlement.worker`), which writes
 * settlement batches to a SQLite file on a connection of its own, so the main thread's event
 * loop spends no time in those writes. Started on first use and again after a crash.
 */
export class SettlementWorker {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly file: string) {}

  /**
   * Writes `batch` in one transaction on the writer thread.
   * @returns what each settlement charged (quota units), once committed.
   * @throws Error with the driver's message when the transaction failed (rolled back), or when the thread died.
   */
  write(batch: Settlement[]): Promise<number[]> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      // only the data crosses the thread boundary (a caller's settlement may carry callbacks)
      worker.postMessage({ id, batch: batch.map(({ reservation, charge, record }) => ({ reservation, charge, record })) });
    });
  }

  /** Closes the writer's connection and ends the thread (after the batches sent so far). */
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
    const script = join(__dirname, `settlement.worker${extname(__filename)}`);
    const worker = script.endsWith('.ts')
      ? new Worker(`require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(script)});`, { eval: true, workerData: { file: this.file } })
      : new Worker(script, { workerData: { file: this.file } });
    worker.on('message', (message: { id: number; charged?: number[]; error?: string }) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new Error(message.error));
      else waiting.resolve(message.charged ?? []);
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
      fail(new Error(`settlement writer thread failed: ${[code, message].filter(Boolean).join(': ') || String(error)}`));
    });
    worker.unref(); // shutdown drains and closes it; it never holds the process open by itself
    worker.on('exit', (code) => fail(new Error(`settlement writer thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
