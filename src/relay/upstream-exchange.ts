import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** Why an exchange was aborted by the relay (the client went away). */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/**
 * One request to an upstream, as an undici dispatch handler (undici's low-level API: no body
 * stream object, no AbortSignal, no promise per chunk). `headers` resolves with the exchange
 * once the status and headers arrive (rejects on a network error or {@link abort}); then the
 * body is taken either whole ({@link body}) or chunk by chunk ({@link pipe}). Chunks that arrive
 * before either is called are kept, so nothing is lost between the two steps.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  statusCode = 0;
  responseHeaders: IncomingHttpHeaders = {};
  /** Resolves once status and headers are in. */
  readonly headers: Promise<UpstreamExchange>;
  private controller?: Dispatcher.DispatchController;
  private abortReason?: Error;
  private headersDone!: { resolve(e: UpstreamExchange): void; reject(error: Error): void };
  private chunks: Buffer[] = [];
  private ended = false;
  private failure?: Error;
  private sink?: (chunk: Buffer) => boolean;
  private bodyDone?: { resolve(): void; reject(error: Error): void };

  constructor() {
    this.headers = new Promise((resolve, reject) => (this.headersDone = { resolve, reject }));
  }

  /** Aborts the request (at any stage); pending promises reject with {@link ClientGoneError}. */
  abort(): void {
    this.abortReason ??= new ClientGoneError();
    this.controller?.abort(this.abortReason);
  }

  /** Lets a paused body ({@link pipe} sink returned false) flow again. */
  resume(): void {
    this.controller?.resume();
  }

  /** The whole body if it has already arrived complete (no promise), else undefined. */
  bodyNow(): Buffer | undefined {
    if (!this.ended || this.failure || this.sink) return undefined;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  /** The whole body, once it has all arrived. @throws the network error that cut it. */
  async body(): Promise<Buffer> {
    await this.pipe(undefined);
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  /**
   * Hands every chunk to `sink` (the ones already received first); a `false` return pauses the
   * upstream until {@link resume}. Without a sink, chunks are kept for {@link body}.
   * Resolves at the end of the body. @throws the network error that cut it.
   */
  pipe(sink: ((chunk: Buffer) => boolean) | undefined): Promise<void> {
    if (sink) {
      for (const chunk of this.chunks) if (!sink(chunk)) this.controller?.pause();
      this.chunks = [];
      this.sink = sink;
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => (this.bodyDone = { resolve, reject }));
  }

  /** undici: the request is being sent; keeps its controller (and aborts at once if asked to already). */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  /** undici: status and headers (1xx skipped); resolves {@link headers}. */
  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    this.statusCode = statusCode;
    this.responseHeaders = headers;
    this.headersDone.resolve(this);
  }

  /** undici: one body chunk; kept until a sink is attached, then handed to it (pausing when it says so). */
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.sink) this.chunks.push(chunk);
    else if (!this.sink(chunk)) controller.pause();
  }

  /** undici: the body is complete. */
  onResponseEnd(): void {
    this.ended = true;
    this.bodyDone?.resolve();
  }

  /** undici: network error, timeout or abort; rejects whichever of headers and body is still pending. */
  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const reason = this.abortReason ?? error;
    this.failure = reason;
    if (this.statusCode === 0) this.headersDone.reject(reason);
    this.bodyDone?.reject(reason);
  }
}
