import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import proxyaddr from 'proxy-addr';
import { describeError } from '../common/http/all-exceptions.filter';
import { assertBodyDepth } from '../common/http/body-depth';
import { JsonBodyParser } from '../common/http/json-body';
import { EnvironmentVariables } from '../config/env.validation';
import { chooseLogFormat, logDestination } from '../common/logging/log-destination';
import { redactUrl } from '../config/logger.options';
import { RelayRequest, RelayService, sendRelayError } from './relay.service';
import type { RelayOperation } from './upstream.client';

/** The relayed POST routes the fast path serves. */
const ROUTES: Record<string, RelayOperation> = {
  '/v1/chat/completions': 'chat/completions',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/responses': 'responses',
};
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** `BODY_LIMIT` (`2mb`, `500kb`, `1048576b`) in bytes. */
export function parseBodyLimit(value: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(value.trim());
  if (!match) return 2 * 1024 * 1024;
  const unit = match[2].toLowerCase();
  return Number(match[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

/**
 * The relay's hot path, served straight from the Node HTTP server ahead of Express and Nest
 * (the relay's latency and throughput targets leave no room for the framework's per-request
 * pipeline). It does what the framework would: a request id (`X-Request-Id`, echoed), the JSON
 * body within `BODY_LIMIT` (413 past it, 400 when malformed or nested past `MAX_BODY_DEPTH`,
 * with the same check as the Express body parsers), the client address under
 * `TRUST_PROXY` (Express's own rule, via proxy-addr), errors in OpenAI's shape, and one log
 * line per request with the URL's query values redacted and no headers. Everything else, and
 * every route when `RELAY_FAST_PATH=false`, goes to Express as usual.
 */
@Injectable()
export class RelayHttpHandler implements OnApplicationShutdown {
  private readonly log: pino.Logger;
  private readonly limit: number;
  readonly enabled: boolean;

  private readonly json = new JsonBodyParser();

  constructor(
    private readonly relay: RelayService,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    const format = chooseLogFormat({ LOG_FORMAT: config.get('LOG_FORMAT', { infer: true }), NODE_ENV: config.get('NODE_ENV', { infer: true }) });
    this.log = pino({ level: config.get('LOG_LEVEL', { infer: true }) }, logDestination(format));
    this.limit = parseBodyLimit(config.get('BODY_LIMIT', { infer: true }));
    this.enabled = config.get('RELAY_FAST_PATH', { infer: true });
  }

  /**
   * Puts the fast path in front of the server's existing request listeners (Express).
   * `trust` is Express's compiled `trust proxy` function.
   */
  install(server: Server, trust: (address: string, index: number) => boolean): void {
    if (!this.enabled) return;
    const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const operation = req.method === 'POST' ? ROUTES[pathOf(req.url)] : undefined;
      if (operation) {
        this.handle(operation, req, res, trust);
        return;
      }
      for (const listener of listeners) listener.call(server, req, res);
    });
  }

  private handle(
    operation: RelayOperation,
    req: IncomingMessage,
    res: ServerResponse,
    trust: (address: string, index: number) => boolean,
  ): void {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    // Of helmet's headers (security-headers.ts) only this one concerns an API answer; the rest
    // (CSP, frame and cross-origin policies) govern documents, and the hot path skips them.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const ip = proxyaddr(req, trust);
    const relayRequest: RelayRequest = { headers: req.headers, body: undefined, ip, id };
    res.once('close', () => this.logLine(req, res, relayRequest, started));
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false; // once the body is in (or refused), the relay owns the answer: a late socket error must not write another
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= this.limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      answered = true; // the rest is drained and dropped
      req.resume();
      sendRelayError(res, 413, 'request body too large');
    };
    const onError = (error: Error) => {
      if (!answered) this.fail(error, id, res);
    };
    const refuse = (error: unknown) => {
      if (error instanceof SyntaxError) sendRelayError(res, 400, `malformed JSON body: ${error.message}`);
      else this.fail(error, id, res);
    };
    const relay = (body: unknown) => {
      relayRequest.body = body;
      this.relay.relay(operation, relayRequest, res).catch((error: unknown) => this.fail(error, id, res));
    };
    const onEnd = () => {
      answered = true;
      const rawBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      relayRequest.rawBody = rawBody;
      let parsed: unknown;
      try {
        assertBodyDepth(rawBody);
        parsed = this.json.parse(rawBody);
      } catch (error) {
        return refuse(error);
      }
      if (parsed instanceof Promise) parsed.then(relay, refuse);
      else relay(parsed);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.on('error', onError);
  }

  /** Ends the JSON worker. */
  async onApplicationShutdown(): Promise<void> {
    await this.json.close();
  }

  /** The answer to an error thrown before the relay wrote one: its refusal, or a logged 500. */
  private fail(error: unknown, id: string, res: ServerResponse): void {
    const { status, message, code, known, headers } = describeError(error);
    if (!known) this.log.error({ requestId: id, err: { name: (error as Error)?.name, message: (error as Error)?.message } }, 'unhandled error');
    if (!res.headersSent) {
      for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
      sendRelayError(res, status, message, code);
    }
    else res.end();
  }

  private logLine(req: IncomingMessage, res: ServerResponse, relay: RelayRequest, started: number): void {
    const statusCode = res.writableFinished ? res.statusCode : 499;
    const line = {
      req: { id: relay.id, method: req.method, url: redactUrl(req.url), remoteAddress: relay.ip },
      ...(relay.userId !== undefined ? { userId: relay.userId } : {}),
      res: { statusCode },
      responseTime: Math.round(performance.now() - started),
    };
    if (statusCode >= 500) this.log.error(line, 'request errored');
    else this.log.info(line, 'request completed');
  }
}

function pathOf(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
