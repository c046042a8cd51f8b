import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the stub received (headers lower-cased, JSON body parsed when possible). */
export interface StubRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/**
 * An injectable fault: an HTTP error status (optionally with an OpenAI error `code`), an
 * `insufficient_quota` 429, a delay before answering, a connection reset, or (streams) a hang
 * after the first chunk until the caller goes away, or a cut: three chunks, then the connection drops.
 */
export type StubFault =
  | { kind: 'status'; status: number; code?: string; message?: string }
  | { kind: 'insufficient_quota' }
  | { kind: 'slow'; ms: number }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'cut' };

/** OpenAI's `usage` object as the stub reports it. */
export interface StubUsage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** Common faults by name. */
export const FAULTS = {
  unauthorized: { kind: 'status', status: 401, code: 'invalid_api_key', message: 'Incorrect API key provided' },
  rateLimited: { kind: 'status', status: 429, code: 'rate_limit_exceeded', message: 'Rate limit reached' },
  serverError: { kind: 'status', status: 500, code: 'server_error', message: 'The server had an error' },
  insufficientQuota: { kind: 'insufficient_quota' },
  reset: { kind: 'reset' },
  hang: { kind: 'hang' },
  cutMidStream: { kind: 'cut' },
} as const satisfies Record<string, StubFault>;

export const STUB_REPLY = 'Hello there! This is the stub upstream answering your request. Grüße, 你好 👋';

/**
 * An OpenAI-compatible upstream for tests and benchmarks, on a free 127.0.0.1 port:
 * `POST …/chat/completions` and `…/completions` (JSON, or SSE when `stream: true`, with a final
 * usage event only when `stream_options.include_usage` is asked and {@link streamUsage} allows),
 * `POST …/embeddings`, `GET …/models`. Any path prefix works (`/v1/…`, Azure's
 * `/openai/deployments/{d}/…?api-version=`). Reported usage is {@link usage}.
 * Faults: {@link failNext} (queue, consumed per request) and {@link failKey} (every request with that secret).
 */
export class StubUpstream {
  readonly requests: StubRequest[] = [];
  /** Usage reported in JSON answers and the usage event (default 5 + 50 = 55 tokens, seed 003's figure). */
  usage: StubUsage = { prompt_tokens: 5, completion_tokens: 50 };
  /** When set, the usage of each request is worked out from its body instead (an upstream that bills what it is sent). */
  usageFor: ((body: any) => StubUsage) | undefined;
  /** false: JSON answers carry no `usage`. */
  jsonUsage = true;
  /** false: streams never send a usage event. */
  streamUsage = true;
  /** Milliseconds between stream chunks. */
  chunkDelayMs = 0;
  /** Record requests (off in benchmarks). */
  record = true;
  /** Requests whose connection closed before the stub finished answering (aborted by the caller). */
  abortedByCaller = 0;
  private readonly queue: StubFault[] = [];
  private readonly byKey = new Map<string, StubFault>();

  private constructor(private readonly server: Server) {}

  /** Starts a stub on `127.0.0.1:0`. */
  static async start(): Promise<StubUpstream> {
    const server = createServer();
    server.keepAliveTimeout = 60_000;
    const stub = new StubUpstream(server);
    server.on('request', (req, res) => stub.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>` */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An OpenAI-style base URL: `http://127.0.0.1:<port>/v1`. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** The next `times` requests get `fault`. */
  failNext(fault: StubFault, times = 1): void {
    for (let i = 0; i < times; i++) this.queue.push(fault);
  }

  /** Every request authenticated with `secret` (Bearer or api-key) gets `fault`; undefined clears it. */
  failKey(secret: string, fault: StubFault | undefined): void {
    if (fault) this.byKey.set(secret, fault);
    else this.byKey.delete(secret);
  }

  /** Forgets recorded requests, queued faults and key faults; restores defaults. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.byKey.clear();
    this.usage = { prompt_tokens: 5, completion_tokens: 50 };
    this.usageFor = undefined;
    this.jsonUsage = true;
    this.streamUsage = true;
    this.chunkDelayMs = 0;
    this.abortedByCaller = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private secretOf(req: IncomingMessage): string {
    const auth = req.headers.authorization;
    if (auth) return auth.replace(/^Bearer\s+/i, '');
    return String(req.headers['api-key'] ?? '');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any = undefined;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      if (this.record) this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.on('close', () => {
        if (!res.writableFinished) this.abortedByCaller++;
      });
      const fault = this.byKey.get(this.secretOf(req)) ?? this.queue.shift();
      void this.answer(req, res, body, fault);
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse, body: any, fault: StubFault | undefined): Promise<void> {
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') return this.error(res, fault.status, fault.code ?? null, fault.message ?? `stub fault ${fault.status}`);
    if (fault?.kind === 'insufficient_quota') {
      return this.error(res, 429, 'insufficient_quota', 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota');
    }
    if (fault?.kind === 'slow') await sleep(fault.ms);
    const path = (req.url ?? '').split('?')[0];
    const model = typeof body?.model === 'string' ? body.model : 'gpt-3.5-turbo';
    if (req.method === 'GET' && path.endsWith('/models')) {
      return this.send(res, { object: 'list', data: ['gpt-3.5-turbo', 'gpt-4o'].map((id) => ({ id, object: 'model', created: 0, owned_by: 'stub' })) });
    }
    if (path.endsWith('/embeddings')) {
      const inputs = Array.isArray(body?.input) ? body.input : [body?.input];
      return this.send(res, {
        object: 'list',
        data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
        model,
        usage: { prompt_tokens: this.usage.prompt_tokens, total_tokens: this.usage.prompt_tokens },
      });
    }
    if (path.endsWith('/responses')) return this.respond(res, body, model);
    const chat = path.endsWith('/chat/completions');
    if (!chat && !path.endsWith('/completions')) return this.error(res, 404, 'not_found', `no route ${path}`);
    const billed = this.usageFor?.(body) ?? this.usage;
    const usage = { ...billed, total_tokens: billed.prompt_tokens + billed.completion_tokens };
    if (body?.stream === true) return this.stream(res, chat, model, body?.stream_options?.include_usage === true && this.streamUsage ? usage : undefined, fault?.kind === 'hang', fault?.kind === 'cut');
    const choice = chat
      ? { index: 0, message: { role: 'assistant', content: STUB_REPLY }, finish_reason: 'stop' }
      : { index: 0, text: STUB_REPLY, finish_reason: 'stop' };
    return this.send(res, {
      id: 'chatcmpl-stub',
      object: chat ? 'chat.completion' : 'text_completion',
      created: 1700000000,
      model,
      choices: [choice],
      ...(this.jsonUsage ? { usage } : {}),
    });
  }

  private async stream(res: ServerResponse, chat: boolean, model: string, usage: object | undefined, hang: boolean, cut = false): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const words = STUB_REPLY.split(/(?= )/);
    for (let i = 0; i < words.length; i++) {
      const choice = chat ? { index: 0, delta: i === 0 ? { role: 'assistant', content: words[i] } : { content: words[i] }, finish_reason: null } : { index: 0, text: words[i], finish_reason: null };
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-stub', object: chat ? 'chat.completion.chunk' : 'text_completion', created: 1700000000, model, choices: [choice] })}\n\n`);
      if (hang) return; // the first chunk, then nothing until the caller goes away
      if (cut && i === 2) {
        await sleep(20);
        res.socket?.destroy(); // three chunks, then the connection drops
        return;
      }
      if (this.chunkDelayMs) await sleep(this.chunkDelayMs);
      if (res.destroyed) return;
    }
    const last = chat ? { index: 0, delta: {}, finish_reason: 'stop' } : { index: 0, text: '', finish_reason: 'stop' };
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-stub', object: chat ? 'chat.completion.chunk' : 'text_completion', created: 1700000000, model, choices: [last] })}\n\n`);
    if (usage) res.write(`data: ${JSON.stringify({ id: 'chatcmpl-stub', object: 'chat.completion.chunk', created: 1700000000, model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  /** The Responses API: a JSON response object, or its SSE events ending with `response.completed` (which carries usage). */
  private async respond(res: ServerResponse, body: any, model: string): Promise<void> {
    const billed = this.usageFor?.(body) ?? this.usage;
    const usage = {
      input_tokens: billed.prompt_tokens,
      output_tokens: billed.completion_tokens,
      total_tokens: billed.prompt_tokens + billed.completion_tokens,
      input_tokens_details: { cached_tokens: billed.prompt_tokens_details?.cached_tokens ?? 0 },
      output_tokens_details: { reasoning_tokens: billed.completion_tokens_details?.reasoning_tokens ?? 0 },
    };
    const message = { id: 'msg_stub', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: STUB_REPLY, annotations: [] }] };
    const response = (status: string, withUsage: boolean) => ({
      id: 'resp_stub',
      object: 'response',
      created_at: 1700000000,
      status,
      model,
      output: status === 'completed' ? [message] : [],
      usage: withUsage ? usage : null,
    });
    if (body?.stream !== true) return this.send(res, response('completed', true));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    event('response.created', { response: response('in_progress', false) });
    for (const word of STUB_REPLY.split(/(?= )/)) {
      event('response.output_text.delta', { item_id: 'msg_stub', output_index: 0, content_index: 0, delta: word });
      if (this.chunkDelayMs) await sleep(this.chunkDelayMs);
      if (res.destroyed) return;
    }
    if (this.streamUsage) event('response.completed', { response: response('completed', true) });
    res.end();
  }

  private send(res: ServerResponse, body: object): void {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private error(res: ServerResponse, status: number, code: string | null, message: string, type = 'stub_error'): void {
    const text = JSON.stringify({ error: { message, type, param: null, code } });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
