import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Pool } from 'undici';
import { EnvironmentVariables } from '../config/env.validation';
import type { RoutableKey } from '../keys/key-pool.service';
import { UpstreamExchange } from './upstream-exchange';

/** The relayed OpenAI operations (their path under `/v1/`). */
export type RelayOperation = 'chat/completions' | 'completions' | 'embeddings' | 'responses';

/**
 * HTTP to upstream providers with undici (dispatch API): one keep-alive {@link Pool} per origin, shared by
 * every key on it. Builds the URL and auth header per key type: OpenAI-compatible
 * `{endpoint}/{operation}` with `Authorization: Bearer`, Azure
 * `{endpoint}/openai/deployments/{deployment}/{operation}?api-version=...` with `api-key`.
 */
@Injectable()
export class UpstreamClient implements OnModuleDestroy {
  private readonly pools = new Map<string, Pool>();
  private readonly timeoutMs: number;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    this.timeoutMs = config.get('RELAY_UPSTREAM_TIMEOUT_MS', { infer: true });
  }

  /** The request path (with query) for `key` and `operation` of `model`. */
  static pathFor(key: RoutableKey, operation: RelayOperation, model: string): string {
    if (key.apiType === 'azure_openai' && operation === 'responses') {
      return `${key.basePath}/openai/responses?api-version=${encodeURIComponent(key.apiVersion)}`; // the deployment goes in the body's model
    }
    if (key.apiType === 'azure_openai') {
      const deployment = key.deployments[model] ?? model;
      return `${key.basePath}/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${encodeURIComponent(key.apiVersion)}`;
    }
    return `${key.basePath}/${operation}`;
  }

  /**
   * Sends `body` (JSON) to `key`'s upstream through undici's dispatch API. The exchange's
   * `headers` rejects on network errors and timeouts (`RELAY_UPSTREAM_TIMEOUT_MS` for the
   * headers and between body chunks); `abort()` cancels it at any stage.
   */
  send(key: RoutableKey, operation: RelayOperation, model: string, body: string | Buffer): UpstreamExchange {
    const exchange = new UpstreamExchange();
    this.pool(key.origin).dispatch(
      {
        method: 'POST',
        path: key.apiType === 'azure_openai' ? UpstreamClient.pathFor(key, operation, model) : pathOf(key, operation),
        headers: headersOf(key),
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      },
      exchange,
    );
    return exchange;
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 512, pipelining: 1, keepAliveTimeout: 30_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
  }
}

const HEADERS = new WeakMap<RoutableKey, Record<string, string>>();
const PATHS = new WeakMap<RoutableKey, Map<RelayOperation, string>>();

/** The request headers for `key` (built once per key; the key pool replaces keys on every change). */
function headersOf(key: RoutableKey): Record<string, string> {
  let headers = HEADERS.get(key);
  if (!headers) {
    headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (key.apiType === 'azure_openai') headers['api-key'] = key.secret;
    else headers.authorization = `Bearer ${key.secret}`;
    HEADERS.set(key, headers);
  }
  return headers;
}

/** `{basePath}/{operation}` of an OpenAI-type key, built once per key and operation. */
function pathOf(key: RoutableKey, operation: RelayOperation): string {
  let paths = PATHS.get(key);
  if (!paths) PATHS.set(key, (paths = new Map()));
  let path = paths.get(operation);
  if (path === undefined) paths.set(operation, (path = `${key.basePath}/${operation}`));
  return path;
}
