import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describeError } from '../common/http/all-exceptions.filter';
import { errorBody, shouldRetry } from '../common/http/route-family';
import { EnvironmentVariables } from '../config/env.validation';
import { KeyPool, RoutableKey } from '../keys/key-pool.service';
import { Chargee, Hold, QuotaLedger } from '../metering/quota-ledger.service';
import { MetricsService, modelLabel } from '../metrics/metrics.service';
import { LimitedSubject, RateGrant, RateLimitsService } from '../metering/rate-limits.service';
import { computeCost, ModelPrice } from '../prices/cost';
import { PricesService } from '../prices/prices.service';
import { extractBearerToken } from '../common/auth/bearer-token';
import type { PolicyToken } from '../tokens/token-policy';
import type { UsageRecordInput } from '../usages/usage-batch';
import { assertModelAllowed, assertTokenUsable, Refusals } from './relay-policy';
import { completionTokenBound, promptTokenBound } from './request-estimate';
import { assertRelayRequest } from './relay-request-rules';
import { relayCredential, TokenCache } from './token-cache.service';
import { UsageChunkFilter } from './usage-chunk-filter';
import { countChatPrompt, countInput, countResponsesInput } from './token-counter';
import { RelayOperation, UpstreamClient } from './upstream.client';
import type { UpstreamExchange } from './upstream-exchange';
import { CountedUsage, usageOfJson, usageOfStream } from './usage-extract';

/** One relayed request in flight. */
interface Flight {
  token: PolicyToken;
  operation: RelayOperation;
  model: string;
  body: Record<string, unknown>;
  isStream: boolean;
  price: ModelPrice;
  /** The quota held for it until it settles. */
  hold: Hold;
  /** What it counts against its rate limits until it settles. */
  rate: RateGrant;
  ip: string;
  requestId: string;
  started: number;
  createdAt: Date;
  /** The upstream request in progress, aborted when the client goes away. */
  exchange?: UpstreamExchange;
  clientGone: boolean;
  keyId: number | null;
  settled: boolean;
  /** When the first byte of a streamed answer went out (performance.now()). */
  firstByteAt?: number;
  /** True when the relay added `stream_options.include_usage` that the client did not ask for. */
  usageInjected?: boolean;
  /** The request body as received (see {@link RelayRequest.rawBody}). */
  rawBody?: Buffer;
}

/** What passed every check before the upstream call, with its reservation. */
type Admitted = Omit<Flight, 'ip' | 'requestId' | 'started' | 'createdAt' | 'exchange' | 'clientGone' | 'keyId' | 'settled' | 'firstByteAt'>;

/** The admission of a request: its flight data and the keys to try, in order. */
interface Admission {
  admitted: Admitted;
  candidates: RoutableKey[];
}

/** A failed upstream attempt, as the client would see it if it is the last. */
interface Failure {
  status: number;
  message: string;
  code: string;
}

/**
 * A relay request, transport-neutral: built by the HTTP fast path (RelayHttpHandler) or by the
 * Nest controller. `ip` is the client address (honouring `TRUST_PROXY`), `id` the request id.
 */
export interface RelayRequest {
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The body's bytes as received, forwarded as they are when the relay does not change the body. */
  rawBody?: Buffer;
  ip: string;
  id: string;
  /** Set by the relay once the token is known: its owner, for the request's log line. */
  userId?: number;
}

/**
 * The credential of a relay request as presented: `Authorization: Bearer …` (or bare), else
 * `x-api-key` (Anthropic-style clients). Undefined when neither is given.
 */
export function presentedCredential(req: Pick<RelayRequest, 'headers'>): string | undefined {
  const header = req.headers['x-api-key'];
  return extractBearerToken(req.headers.authorization) ?? extractBearerToken(Array.isArray(header) ? header[0] : header);
}

/**
 * The OpenAI-compatible relay: authenticates the `sk-` token (cached), applies the token rules,
 * holds an upper bound of the request's cost on the token's and its owner's quota (QuotaLedger),
 * calls upstream keys in order (retrying the next on network errors, 429 and 5xx, never after
 * bytes reached the client; auto-disabling keys refused with 401 or `insufficient_quota`), streams
 * SSE through as it arrives, and settles the real charge with exactly one usage record per
 * request, failed and aborted ones included.
 */
@Injectable()
export class RelayService {
  private readonly logger = new Logger('Relay');
  private readonly maxRetries: number;
  private readonly defaultMaxTokens: number;

  constructor(
    private readonly tokens: TokenCache,
    private readonly keys: KeyPool,
    private readonly prices: PricesService,
    private readonly ledger: QuotaLedger,
    private readonly rateLimits: RateLimitsService,
    private readonly upstream: UpstreamClient,
    private readonly metrics: MetricsService,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.maxRetries = config.get('RELAY_MAX_RETRIES', { infer: true });
    this.defaultMaxTokens = config.get('RELAY_DEFAULT_MAX_TOKENS', { infer: true });
  }

  /**
   * Authenticates and checks the token (no model check).
   * @throws CodedHttpException 401 (missing/unknown/disabled/expired key, owner deleted), 403 (IP).
   */
  async authenticate(req: RelayRequest): Promise<PolicyToken> {
    const presented = presentedCredential(req);
    if (!presented) throw Refusals.missingKey();
    const credential = relayCredential(presented);
    const token = credential ? await this.tokens.lookup(credential) : null;
    assertTokenUsable(token, req.ip, Math.floor(Date.now() / 1000));
    return token;
  }

  /**
   * `GET /v1/models`: the models the caller may use, by name: allowed by its `model_limits`, served
   * by an enabled key of its groups, and priced (or covered by `DEFAULT_MODEL_PRICE`).
   * @throws CodedHttpException as the token rules refuse the caller (401/403)
   */
  async models(req: RelayRequest): Promise<{ object: 'list'; data: ModelObject[] }> {
    const token = await this.authenticate(req);
    return { object: 'list', data: (await this.usableModels(token)).map(modelObject) };
  }

  /**
   * `GET /v1/models/{id}`: one model the caller may use.
   * @throws CodedHttpException 404 `model_not_found` for any other model; as {@link models} otherwise
   */
  async model(req: RelayRequest, id: string): Promise<ModelObject> {
    const token = await this.authenticate(req);
    if (!(await this.usableModels(token)).includes(id)) throw Refusals.unknownModel(id, 'not among the models this key may use: GET /v1/models lists them');
    return modelObject(id);
  }

  /** The models `token` may use (see {@link models}), sorted. */
  private async usableModels(token: PolicyToken): Promise<string[]> {
    const served = await this.keys.servedModels(token.groups);
    const named = served.any ? new Set([...served.models, ...this.prices.pricedModels(), ...(token.modelLimits ?? [])]) : served.models;
    return [...named].filter((m) => (served.any || served.models.has(m)) && (!token.modelLimits || token.modelLimits.has(m)) && this.prices.priceFor(m) !== undefined).sort();
  }

  /**
   * Relays one request. Refusals before the upstream call are thrown (the filter renders them);
   * from the reservation on, the answer is written here and the request is always settled.
   */
  async relay(operation: RelayOperation, req: RelayRequest, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const createdAt = new Date();
    const presented = presentedCredential(req);
    const body = req.body as Record<string, unknown> | undefined;
    let token: PolicyToken | null = null;
    let admission: Admission;
    try {
      if (!presented) throw Refusals.missingKey();
      const credential = relayCredential(presented);
      // The hot path stays synchronous while everything it needs is in memory (cached token and
      // keys, the quota lease): fewer promises per request, which matters at thousands of req/s.
      const cached = credential ? this.tokens.peek(credential) : null;
      token = cached !== undefined ? cached : await this.tokens.lookup(credential!);
      if (token) req.userId = token.userId;
      const pending = this.admit(operation, token, req, body);
      admission = pending instanceof Promise ? await pending : pending;
    } catch (error) {
      this.refused(token, operation, req, body, error, started, createdAt);
      throw error;
    }
    // Every field spelled out, in one order: an object spread of this size makes V8 build a
    // dictionary-mode object (about 4 KB per request, measured with the sampling heap profiler).
    const { admitted } = admission;
    const flight: Flight = {
      token: admitted.token,
      operation: admitted.operation,
      model: admitted.model,
      body: admitted.body,
      isStream: admitted.isStream,
      price: admitted.price,
      hold: admitted.hold,
      rate: admitted.rate,
      ip: req.ip,
      requestId: req.id || randomUUID(),
      started,
      createdAt,
      exchange: undefined,
      clientGone: false,
      keyId: null,
      settled: false,
      usageInjected: false,
      rawBody: req.rawBody,
    };
    for (const name in flight.rate.headers) res.setHeader(name, flight.rate.headers[name]);
    res.on('close', () => {
      if (!res.writableFinished) {
        flight.clientGone = true;
        flight.exchange?.abort();
      }
    });
    try {
      await this.attempt(flight, admission.candidates, res);
    } catch (error) {
      this.logger.error(`relay ${flight.requestId} failed: ${(error as Error).message}`);
      if (!flight.settled) this.settle(flight, undefined, flight.clientGone ? 499 : 500, flight.clientGone ? 'client_closed' : 'internal_error');
      if (!res.headersSent) sendRelayError(res, 500, 'internal server error');
      else res.end();
    }
  }

  /**
   * Every check before the upstream call, then the hold. Synchronous when the keys are loaded
   * and the quota leases cover it; a promise otherwise.
   * @throws CodedHttpException with the refusal's status and code (401/403/400/429/503)
   */
  private admit(operation: RelayOperation, token: PolicyToken | null, req: RelayRequest, body: Record<string, unknown> | undefined): Admission | Promise<Admission> {
    assertTokenUsable(token, req.ip, Math.floor(Date.now() / 1000));
    assertRelayRequest(operation, body);
    const model = body.model;
    assertModelAllowed(token, model);
    const price = this.prices.priceFor(model);
    if (!price) throw Refusals.unknownModel(model, 'it has no price; an admin can set one with PUT /1/prices');
    const loaded = this.keys.candidatesNow(token.groups, model);
    if (loaded) return this.holdFor(operation, token, body, model, price, loaded);
    return this.keys.candidates(token.groups, model).then((candidates) => this.holdFor(operation, token, body, model, price, candidates));
  }

  /**
   * Holds an upper bound of the request's cost (request-estimate.ts: no tokenizer) on the token and
   * its owner once keys are known. @throws 503 no key, 429 insufficient quota (token or user)
   */
  private holdFor(
    operation: RelayOperation,
    token: PolicyToken,
    body: Record<string, unknown>,
    model: string,
    price: ModelPrice,
    candidates: RoutableKey[],
  ): Admission | Promise<Admission> {
    if (candidates.length === 0) throw Refusals.noKey(model);
    const isStream = operation !== 'embeddings' && body.stream === true;
    const promptTokens = promptTokenBound(operation, body, model);
    const completionTokens = completionTokenBound(operation, body, this.defaultMaxTokens);
    const bound = computeCost(promptTokens, completionTokens, price).quota;
    const chargees: Chargee[] = [{ subject: { kind: 'user', id: token.userId }, limited: token.owner.quotaLimited }];
    const limited: LimitedSubject[] = [{ subject: { kind: 'user', id: token.userId }, limits: token.owner.rateLimits }];
    if (token.id !== null) {
      chargees.unshift({ subject: { kind: 'token', id: token.id }, limited: !token.unlimitedQuota });
      limited.unshift({ subject: { kind: 'token', id: token.id }, limits: token.rateLimits });
    }
    const holdQuota = (rate: RateGrant): Admission | Promise<Admission> => {
      const admitted = (outcome: Hold | { refused: Chargee['subject'] }): Admission => {
        if ('refused' in outcome) {
          this.rateLimits.release(rate);
          throw Refusals.insufficientQuota(outcome.refused, bound);
        }
        return { admitted: { token, operation, model, body, isStream, price, hold: outcome, rate }, candidates };
      };
      let held: ReturnType<QuotaLedger['hold']>;
      try {
        held = this.ledger.hold(chargees, bound);
      } catch (error) {
        this.rateLimits.release(rate);
        throw error;
      }
      if (!(held instanceof Promise)) return admitted(held);
      return held.then(admitted, (error: unknown) => {
        this.rateLimits.release(rate);
        throw error;
      });
    };
    const rate = this.rateLimits.admit(limited, promptTokens + completionTokens);
    return rate instanceof Promise ? rate.then(holdQuota) : holdQuota(rate);
  }

  /**
   * Counts a request refused before the upstream call in the metrics; a known token's refusal is a
   * request too, recorded (no tokens, quota 0) so the usage log misses nothing.
   */
  private refused(
    token: PolicyToken | null,
    operation: RelayOperation,
    req: RelayRequest,
    body: Record<string, unknown> | undefined,
    error: unknown,
    started: number,
    createdAt: Date,
  ): void {
    const model = body && typeof body === 'object' && typeof body.model === 'string' ? body.model : '';
    const refusal = describeError(error);
    this.metrics.relayed(modelLabel(model ? this.prices.priceFor(model) : undefined), refusal.status, refusal.code ?? 'refused', performance.now() - started);
    if (!token) return;
    this.ledger.record({
      userId: token.userId,
      tokenId: token.id,
      keyId: null,
      model: model.slice(0, 128),
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      cachedTokens: 0,
      reasoningTokens: 0,
      costUsd: '0',
      statusCode: refusal.status,
      isStream: operation !== 'embeddings' && body?.stream === true,
      latencyMs: Math.round(performance.now() - started),
      ip: req.ip.slice(0, 64),
      requestId: (req.id || randomUUID()).slice(0, 128),
      createdAt,
    });
  }

  private async attempt(flight: Flight, candidates: RoutableKey[], res: ServerResponse): Promise<void> {
    const attempts = Math.min(candidates.length, 1 + this.maxRetries);
    let failure: Failure = { status: 502, message: 'upstream unavailable', code: 'upstream_error' };
    let openaiPayload: string | Buffer | undefined;
    let plainPayload: string | Buffer | undefined = flight.rawBody;
    for (let i = 0; i < attempts && !flight.clientGone; i++) {
      const key = candidates[i];
      flight.keyId = key.id;
      let payload: string | Buffer;
      const clientAskedUsage = (flight.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      // Chat and completions streams carry usage only when asked; the Responses API's always does.
      const injectUsage = key.apiType === 'openai' && flight.isStream && flight.operation !== 'responses';
      flight.usageInjected = injectUsage && !clientAskedUsage;
      if (injectUsage) {
        openaiPayload ??= withUsageAsked(flight.body, flight.rawBody);
        payload = openaiPayload;
      } else if (key.apiType === 'azure_openai' && flight.operation === 'responses') {
        payload = JSON.stringify({ ...flight.body, model: key.deployments[flight.model] ?? flight.model }); // Azure names the deployment in the body
      } else {
        plainPayload ??= JSON.stringify(flight.body);
        payload = plainPayload;
      }
      const exchange = this.upstream.send(key, flight.operation, flight.model, payload);
      flight.exchange = exchange;
      try {
        await exchange.headers;
      } catch (error) {
        if (flight.clientGone) break;
        this.metrics.upstreamFailed(key.id, 0, i + 1 < attempts);
        failure = { status: 502, message: `upstream unreachable: ${(error as Error).message}`, code: 'upstream_error' };
        continue;
      }
      this.keys.markUsed(key.id);
      const status = exchange.statusCode;
      if (status >= 200 && status < 300) {
        return flight.isStream ? this.stream(flight, exchange, res) : this.json(flight, exchange, res);
      }
      const text = await exchange.body().then(
        (raw) => raw.toString('utf8'),
        () => '',
      );
      const retried = i + 1 < attempts;
      if (status === 401 || isInsufficientQuota(status, text)) {
        this.metrics.upstreamFailed(key.id, status, retried);
        await this.keys.disableAutomatically(key.id, `upstream ${status}: ${upstreamMessage(text)}`);
        failure = { status: 503, message: 'no usable upstream key: the tried keys were refused by the provider', code: 'upstream_key_refused' };
        continue;
      }
      if (status === 429 || status >= 500) {
        this.metrics.upstreamFailed(key.id, status, retried);
        failure = {
          status: status === 429 ? 429 : 502,
          message: `upstream ${status === 429 ? 'rate limited' : 'error'} (${status}): ${upstreamMessage(text)}`,
          code: status === 429 ? 'upstream_rate_limited' : 'upstream_error',
        };
        continue;
      }
      // Any other 4xx is the request's fault: pass the upstream's answer through, charge nothing.
      this.settle(flight, undefined, status, 'upstream_rejected_request');
      if (!flight.clientGone) sendRaw(res, status, String(exchange.responseHeaders['content-type'] ?? 'application/json'), text);
      return;
    }
    this.settle(flight, undefined, flight.clientGone ? 499 : failure.status, flight.clientGone ? 'client_closed' : failure.code);
    if (!flight.clientGone) sendRelayError(res, failure.status, failure.message, failure.code);
  }

  private async json(flight: Flight, exchange: UpstreamExchange, res: ServerResponse): Promise<void> {
    let raw: Buffer;
    try {
      raw = exchange.bodyNow() ?? (await exchange.body()); // a small answer is usually complete already
    } catch (error) {
      this.settle(flight, undefined, flight.clientGone ? 499 : 502, flight.clientGone ? 'client_closed' : 'upstream_error');
      if (!flight.clientGone) sendRelayError(res, 502, `upstream answer cut: ${(error as Error).message}`, 'upstream_error');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (!flight.clientGone) {
      // As a latin1 string the bytes go out unchanged, and Node sends the head and the body in
      // one write instead of a corked writev of two buffers.
      sendRaw(res, exchange.statusCode, String(exchange.responseHeaders['content-type'] ?? 'application/json'), raw.toString('latin1'), raw.length);
    }
    this.settle(flight, usageOfJson(parsed, () => this.countPrompt(flight)), exchange.statusCode, flight.clientGone ? 'client_closed' : 'ok');
  }

  /** Passes an SSE answer through chunk by chunk (upstream paused while the client's socket is full). */
  private async stream(flight: Flight, exchange: UpstreamExchange, res: ServerResponse): Promise<void> {
    res.statusCode = exchange.statusCode;
    res.setHeader('content-type', String(exchange.responseHeaders['content-type'] ?? 'text/event-stream'));
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    const chunks: Buffer[] = [];
    const filter = flight.usageInjected ? new UsageChunkFilter() : undefined;
    const resume = () => exchange.resume();
    res.on('drain', resume);
    let broken = false;
    try {
      await exchange.pipe((chunk) => {
        chunks.push(chunk);
        flight.firstByteAt ??= performance.now();
        const out = filter ? filter.push(chunk) : chunk;
        return out.length === 0 || flight.clientGone || res.write(out);
      });
    } catch {
      broken = !flight.clientGone;
    }
    res.off('drain', resume);
    const usage = chunks.length ? usageOfStream(Buffer.concat(chunks).toString('utf8'), () => this.countPrompt(flight)) : undefined;
    if (!flight.clientGone) res.end(filter?.flush() ?? undefined);
    this.settle(flight, usage, flight.clientGone ? 499 : broken ? 502 : exchange.statusCode, flight.clientGone ? 'client_closed' : broken ? 'upstream_error' : 'ok');
  }

  /**
   * Settles the hold to `usage` (nothing charged when undefined) with the one usage record; the
   * answer does not wait for the write (the ledger batches it). `reason` (`ok`, or the failure's
   * code) labels the request in the metrics.
   */
  private settle(flight: Flight, usage: CountedUsage | undefined, statusCode: number, reason: string): void {
    if (flight.settled) return;
    flight.settled = true;
    const prompt = usage?.promptTokens ?? 0;
    const completion = usage?.completionTokens ?? 0;
    const cached = usage?.cachedTokens ?? 0;
    const cost = computeCost(prompt, completion, flight.price, cached);
    const record: Omit<UsageRecordInput, 'quota'> = {
      userId: flight.token.userId,
      tokenId: flight.token.id,
      keyId: flight.keyId,
      model: flight.model.slice(0, 128),
      promptTokens: prompt,
      completionTokens: completion,
      totalTokens: prompt + completion,
      cachedTokens: cached,
      reasoningTokens: usage?.reasoningTokens ?? 0,
      costUsd: cost.costUsd,
      statusCode,
      isStream: flight.isStream,
      latencyMs: Math.round(performance.now() - flight.started),
      ip: flight.ip.slice(0, 64),
      requestId: flight.requestId.slice(0, 128),
      createdAt: flight.createdAt,
    };
    this.ledger.settle(flight.hold, cost.quota, record);
    this.metrics.relayed(modelLabel(flight.price), statusCode, reason, performance.now() - flight.started, flight.firstByteAt === undefined ? undefined : flight.firstByteAt - flight.started);
    this.metrics.charged(modelLabel(flight.price), { prompt, completion, cached, reasoning: record.reasoningTokens }, cost.quota);
    this.rateLimits.settle(flight.rate, prompt + completion);
  }

  /** The prompt's tokens counted with the tokenizer: only for an answer whose upstream reported no usage. */
  private countPrompt(flight: Flight): number {
    if (flight.operation === 'chat/completions') return countChatPrompt(flight.body);
    if (flight.operation === 'responses') return countResponsesInput(flight.body);
    return countInput(flight.operation === 'completions' ? flight.body.prompt : flight.body.input);
  }
}

const USAGE_ASKED = Buffer.from('{"stream_options":{"include_usage":true},');

/**
 * The body of a stream request with `stream_options.include_usage` set (so the upstream reports
 * what it used). Without `stream_options` in the body, the field is put in front of the bytes as
 * received (no re-serialising of a large prompt); otherwise the body is serialised with it merged.
 */
export function withUsageAsked(body: Record<string, unknown>, raw: Buffer | undefined): string | Buffer {
  if (raw && body.stream_options === undefined) {
    let at = 0;
    while (at < raw.length && raw[at] !== 0x7b) at++; // the opening brace, after any whitespace
    const rest = raw.subarray(at + 1);
    let next = 0;
    while (next < rest.length && (rest[next] === 0x20 || rest[next] === 0x0a || rest[next] === 0x0d || rest[next] === 0x09)) next++;
    if (rest[next] === 0x7d) return JSON.stringify({ ...body, stream_options: { include_usage: true } }); // `{}` cannot be: streams name a model
    return Buffer.concat([USAGE_ASKED, rest]);
  }
  return JSON.stringify({ ...body, stream_options: { ...(body.stream_options as object | undefined), include_usage: true } });
}

/** OpenAI's model object. */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

function modelObject(id: string): ModelObject {
  return { id, object: 'model', created: 0, owned_by: 'tollgate' };
}

/** Writes a relay error in OpenAI's shape, with `x-should-retry` (see {@link shouldRetry}). */
export function sendRelayError(res: ServerResponse, status: number, message: string, code?: string): void {
  res.setHeader('x-should-retry', String(shouldRetry(status, code)));
  sendJson(res, status, errorBody('openai', status, message, code));
}

/** Writes a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/**
 * Writes a whole answer with its content type. `latin1Length` marks `body` as a latin1 string
 * holding raw bytes (one char per byte, that many bytes), written out byte for byte.
 */
export function sendRaw(res: ServerResponse, status: number, contentType: string, body: string | Buffer, latin1Length?: number): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  if (latin1Length !== undefined && typeof body === 'string') {
    res.setHeader('content-length', latin1Length);
    res.end(body, 'latin1');
    return;
  }
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** True for OpenAI's `insufficient_quota` refusal (429 or 403 with that code or type). */
export function isInsufficientQuota(status: number, text: string): boolean {
  return (status === 429 || status === 403 || status === 402) && text.includes('insufficient_quota');
}

function upstreamMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.slice(0, 300);
}
