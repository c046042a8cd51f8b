import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { QuotaLedger } from '../metering/quota-ledger.service';
import type { ModelPrice } from '../prices/cost';

/** Latency buckets in seconds (a relayed answer: milliseconds to minutes). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The `model` label of a request: the name of the price row it is charged at (a dated snapshot
 * counts under its base model's row), `other` for `DEFAULT_MODEL_PRICE` or no price at all. So the
 * label's values are bounded by the price table, whatever model names clients send.
 */
export function modelLabel(price: ModelPrice | undefined): string {
  return price && price.model !== '*' ? price.model : 'other';
}

/** A mysql2 pool as far as its public events and config go. */
interface PoolEvents {
  on(event: 'acquire' | 'release' | 'enqueue', listener: () => void): void;
  config?: { connectionLimit?: number };
}

/**
 * The Prometheus metrics (`prom-client`, a registry of this app's own) of `GET /metrics`:
 * - `tollgate_relay_requests_total{model,status,reason}`: relayed requests by outcome (`reason` is
 *   `ok`, or the refusal's or failure's OpenAI code);
 * - `tollgate_relay_request_duration_seconds{model}` and `tollgate_relay_time_to_first_byte_seconds{model}`
 *   (streams): histograms;
 * - `tollgate_upstream_errors_total{key_id,status}` and `tollgate_upstream_retries_total{key_id}`;
 * - `tollgate_relay_tokens_total{model,kind}` (prompt, completion, cached, reasoning) and
 *   `tollgate_quota_charged_total{model}` (quota units);
 * - `tollgate_metering_leases`, `tollgate_metering_leased_quota` and
 *   `tollgate_metering_settlement_queue`: this instance's leases and settlements not yet written;
 * - `tollgate_db_pool_connections{state}` (MySQL: `limit`, `in_use`, `waiting`, from the pool's events).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'tollgate_relay_requests_total', help: 'Relayed requests by model, HTTP status and reason (ok, or the refusal or failure code)', labelNames: ['model', 'status', 'reason'], registers: [this.registry] });
  private readonly duration = new Histogram({ name: 'tollgate_relay_request_duration_seconds', help: 'Relayed requests from arrival to the last byte of the answer', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly ttfb = new Histogram({ name: 'tollgate_relay_time_to_first_byte_seconds', help: 'Streamed answers from arrival to their first byte', labelNames: ['model'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly upstreamErrors = new Counter({ name: 'tollgate_upstream_errors_total', help: 'Failed upstream attempts by key and status (0: no answer)', labelNames: ['key_id', 'status'], registers: [this.registry] });
  private readonly retries = new Counter({ name: 'tollgate_upstream_retries_total', help: 'Upstream attempts retried on another key, by the key that failed', labelNames: ['key_id'], registers: [this.registry] });
  private readonly tokens = new Counter({ name: 'tollgate_relay_tokens_total', help: 'Tokens the upstreams reported, by model and kind', labelNames: ['model', 'kind'], registers: [this.registry] });
  private readonly quota = new Counter({ name: 'tollgate_quota_charged_total', help: 'Quota units charged (500,000 = 1 USD), by model', labelNames: ['model'], registers: [this.registry] });
  private readonly pool = { limit: 0, inUse: 0, waiting: 0 };

  constructor(ledger: QuotaLedger, @InjectDataSource() dataSource: DataSource) {
    new Gauge({ name: 'tollgate_metering_leases', help: "This instance's quota leases", registers: [this.registry], collect() { this.set(ledger.heldByThisInstance().size); } });
    new Gauge({ name: 'tollgate_metering_leased_quota', help: "Quota units this instance's leases hold", registers: [this.registry], collect() { this.set([...ledger.heldByThisInstance().values()].reduce((a, b) => a + b, 0)); } });
    new Gauge({ name: 'tollgate_metering_settlement_queue', help: 'Settlements waiting to be written', registers: [this.registry], collect() { this.set(ledger.queued()); } });
    const pool = this.pool;
    new Gauge({
      name: 'tollgate_db_pool_connections',
      help: 'MySQL connection pool: its limit, connections in use, and queries waiting for one',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.set({ state: 'limit' }, pool.limit);
        this.set({ state: 'in_use' }, pool.inUse);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
    const mysqlPool = dataSource.driver.options.type === 'mysql' ? ((dataSource.driver as { pool?: PoolEvents }).pool ?? undefined) : undefined;
    if (mysqlPool) this.watchPool(mysqlPool);
  }

  /**
   * One relayed request ended (or was refused): `model` a {@link modelLabel}, `status` as
   * answered, `reason` `ok` or the refusal's or failure's code; times in ms from arrival.
   */
  relayed(model: string, status: number, reason: string, durationMs: number, firstByteMs?: number): void {
    this.requests.inc({ model, status: String(status), reason });
    this.duration.observe({ model }, durationMs / 1000);
    if (firstByteMs !== undefined) this.ttfb.observe({ model }, firstByteMs / 1000);
  }

  /** What a settled request used and was charged. */
  charged(model: string, usage: { prompt: number; completion: number; cached: number; reasoning: number }, quota: number): void {
    for (const kind of ['prompt', 'completion', 'cached', 'reasoning'] as const) if (usage[kind] > 0) this.tokens.inc({ model, kind }, usage[kind]);
    if (quota > 0) this.quota.inc({ model }, quota);
  }

  /** An upstream attempt failed (`status` 0: no answer); `retried` when another key is tried next. */
  upstreamFailed(keyId: number, status: number, retried: boolean): void {
    this.upstreamErrors.inc({ key_id: String(keyId), status: String(status) });
    if (retried) this.retries.inc({ key_id: String(keyId) });
  }

  /** The text exposition format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  private watchPool(pool: PoolEvents): void {
    this.pool.limit = pool.config?.connectionLimit ?? 0;
    pool.on('enqueue', () => this.pool.waiting++);
    pool.on('acquire', () => {
      this.pool.inUse++;
      if (this.pool.waiting > 0) this.pool.waiting--;
    });
    pool.on('release', () => (this.pool.inUse = Math.max(0, this.pool.inUse - 1)));
  }
}
