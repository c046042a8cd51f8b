import { Worker } from 'node:worker_threads';

/** Bodies larger than this are parsed on the worker thread (a smaller one costs more to send there than to parse). */
export const OFF_THREAD_BYTES = 256 * 1024;

/** The worker: `JSON.parse` of the bytes it is sent; the value, or the parser's message, goes back. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const decoder = new TextDecoder();
parentPort.on('message', ({ id, bytes }) => {
  try {
    parentPort.postMessage({ id, value: JSON.parse(decoder.decode(bytes)) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});
`;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * `JSON.parse` of request bodies for the relay's fast path. A body up to {@link OFF_THREAD_BYTES}
 * is parsed at once (no promise); a larger one on a worker thread, so that decoding and parsing
 * megabytes (tens of milliseconds on a small machine) never hold the event loop that serves every
 * other request. Same parser, same result, same `SyntaxError` message either way. The worker
 * starts on first use and does not keep the process alive.
 */
export class JsonBodyParser {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  /**
   * The value of `raw` (UTF-8 JSON text), or a promise of it for a large body.
   * @throws SyntaxError for malformed JSON (the promise rejects with it for a large body)
   */
  parse(raw: Buffer): unknown {
    if (raw.length <= OFF_THREAD_BYTES) return JSON.parse(raw.toString('utf8'));
    const id = this.nextId++;
    const worker = this.start();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, bytes: raw }); // copied: the caller still forwards the bytes
    });
  }

  /** Ends the worker (at shutdown). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', ({ id, value, error }: { id: number; value?: unknown; error?: string }) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (!waiting) return;
      if (error !== undefined) waiting.reject(new SyntaxError(error));
      else waiting.resolve(value);
    });
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', () => this.fail(worker, new Error('the JSON worker stopped')));
    this.worker = worker;
    return worker;
  }

  /** A worker that failed: what it had is refused, and the next large body starts a new one. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = undefined;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
