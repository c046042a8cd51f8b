import type { SqlRunner } from '../database/sql-runner';
import { costToUnits, formatCost, COST_SCALE } from './usage-cost';
import { formatUtcDay, formatUtcHour, HOUR_MS, periodStarts } from './usage-days';

/** What the relay reports for one request; see UsageRecordEntity for units. */
export interface UsageRecordInput {
  userId: number;
  /** The API token; null for a request relayed with the user's own access token (rollups count it under 0). */
  tokenId: number | null;
  keyId: number | null;
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prompt tokens the upstream served from its cache (part of `promptTokens`). */
  cachedTokens: number;
  /** Reasoning tokens (part of `completionTokens`). */
  reasoningTokens: number;
  /** USD as a decimal string, up to 10 places. */
  costUsd: string;
  /** Quota units charged (0 when refunded). */
  quota: number;
  statusCode: number;
  isStream: boolean;
  latencyMs: number;
  ip: string;
  requestId: string;
  createdAt: Date;
}

const RECORD_COLUMNS = [
  'user_id',
  'token_id',
  'key_id',
  'model',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'cost_usd',
  'quota',
  'status_code',
  'is_stream',
  'latency_ms',
  'ip',
  'request_id',
  'created_at',
];
const COUNTERS = ['requests', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cost_usd', 'quota'];
/** Rows per multi-row INSERT (well under both databases' placeholder limits). */
const INSERT_CHUNK = 500;

interface Totals {
  keys: unknown[];
  requests: number;
  prompt: number;
  completion: number;
  total: number;
  cost: bigint;
  quota: number;
}

/**
 * Writes usage records and adds them to their rollups: (day, user, token, model) in `usage_daily`,
 * (hour, user, token, model) in `usage_hourly` and the user's day, week and month rows in
 * `usage_period_user` (all UTC). Records go in as multi-row
 * INSERTs; each rollup key gets one upsert that adds (never a read-modify-write), with the batch's
 * rows for that key summed first, in a fixed key order (fewer deadlocks across instances). All of
 * it runs on `runner`, inside the caller's transaction, so the quota settlement, the records and
 * the rollups commit together.
 */
export async function recordUsageBatch(inputs: UsageRecordInput[], runner: SqlRunner): Promise<void> {
  if (inputs.length === 0) return;
  for (let i = 0; i < inputs.length; i += INSERT_CHUNK) {
    const chunk = inputs.slice(i, i + INSERT_CHUNK);
    const row = `(${RECORD_COLUMNS.map(() => '?').join(', ')})`;
    await runner.exec(
      `INSERT INTO usage_records (${RECORD_COLUMNS.join(', ')}) VALUES ${chunk.map(() => row).join(', ')}`,
      chunk.flatMap((r) => [
        r.userId,
        r.tokenId,
        r.keyId,
        r.model,
        r.promptTokens,
        r.completionTokens,
        r.totalTokens,
        r.cachedTokens,
        r.reasoningTokens,
        formatCost(costToUnits(r.costUsd), COST_SCALE),
        r.quota,
        r.statusCode,
        r.isStream,
        r.latencyMs,
        r.ip,
        r.requestId,
        r.createdAt,
      ]),
    );
  }
  const daily = new Map<string, Totals>();
  const hourly = new Map<string, Totals>();
  const periods = new Map<string, Totals>();
  let lastHourNumber = NaN;
  let hour = '';
  let day = '';
  let starts = {} as ReturnType<typeof periodStarts>;
  for (const r of inputs) {
    const hourNumber = Math.floor(r.createdAt.getTime() / HOUR_MS);
    if (hourNumber !== lastHourNumber) {
      // a batch nearly always falls in one UTC hour: work its keys out once
      lastHourNumber = hourNumber;
      hour = formatUtcHour(r.createdAt);
      day = formatUtcDay(r.createdAt);
      starts = periodStarts(day);
    }
    add(daily, [day, r.userId, r.tokenId ?? 0, r.model], r);
    add(hourly, [hour, r.userId, r.tokenId ?? 0, r.model], r);
    for (const grain of ['D', 'W', 'M'] as const) add(periods, [grain, starts[grain], r.userId], r);
  }
  await upsertAll(runner, 'usage_daily', ['day', 'user_id', 'token_id', 'model'], daily);
  await upsertAll(runner, 'usage_hourly', ['hour_start', 'user_id', 'token_id', 'model'], hourly);
  await upsertAll(runner, 'usage_period_user', ['grain', 'period_start', 'user_id'], periods);
}

async function upsertAll(runner: SqlRunner, table: string, keys: string[], rows: Map<string, Totals>): Promise<void> {
  const sql = rollupUpsert(table, keys, runner.mysql);
  for (const id of [...rows.keys()].sort()) {
    const t = rows.get(id)!;
    await runner.exec(sql, [...t.keys, t.requests, t.prompt, t.completion, t.total, formatCost(t.cost, COST_SCALE), t.quota]);
  }
}

function add(into: Map<string, Totals>, keys: unknown[], r: UsageRecordInput): void {
  const id = keys.join('\u0000');
  let t = into.get(id);
  if (!t) {
    t = { keys, requests: 0, prompt: 0, completion: 0, total: 0, cost: 0n, quota: 0 };
    into.set(id, t);
  }
  t.requests += 1;
  t.prompt += r.promptTokens;
  t.completion += r.completionTokens;
  t.total += r.totalTokens;
  t.cost += costToUnits(r.costUsd);
  t.quota += r.quota;
}

/**
 * `INSERT ... VALUES (keys..., counters...)` that adds the counters to an existing row of the same
 * key: `ON DUPLICATE KEY UPDATE` on MySQL, `ON CONFLICT ... DO UPDATE` on SQLite (where the REAL cost
 * is re-rounded to 10 places at each add). One statement, never a read-modify-write.
 */
function rollupUpsert(table: string, keys: string[], mysql: boolean): string {
  const columns = [...keys, ...COUNTERS];
  const insert = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
  if (mysql) return `${insert} ON DUPLICATE KEY UPDATE ${COUNTERS.map((c) => `${c} = ${c} + VALUES(${c})`).join(', ')}`;
  const set = COUNTERS.map((c) => (c === 'cost_usd' ? `${c} = ROUND(${c} + excluded.${c}, 10)` : `${c} = ${c} + excluded.${c}`));
  return `${insert} ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${set.join(', ')}`;
}
