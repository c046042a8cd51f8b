import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { UsageRecordEntity } from './entities/usage-record.entity';
import { periodStarts } from './usage-range';

/** What the relay reports for one request; see {@link UsageRecordEntity} for units. */
export interface UsageRecordInput {
  userId: number;
  tokenId: number;
  keyId: number | null;
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
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

/** UTC day `YYYY-MM-DD` of a date. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Writes one usage record and adds it to its daily rollups, (day, user, token, model) in `usage_daily`
 * and the user's day, week and month rows in `usage_period_user`, in one transaction: the caller's `manager` when given (so
 * quota settlement, record and rollups commit together), else a new transaction. Each rollup is a
 * single upsert that adds, never a read-modify-write. On SQLite (REAL decimals) the rollups' cost is
 * re-rounded to 10 places at each add so float error cannot accumulate; reports sum it as integer
 * 1e-10 USD units (see usage-cost.ts).
 */
@Injectable()
export class UsageRecorder {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records one request. Without `manager` on SQLite (one shared connection, where TypeORM does not
   * queue transactions: two at once fail with "cannot start a transaction within a transaction"),
   * the recorder's own transactions run one after another through an in-process queue.
   */
  async record(input: UsageRecordInput, manager?: EntityManager): Promise<void> {
    if (manager) return this.write(manager, input);
    if (this.dataSource.driver.options.type === 'mysql') {
      await this.dataSource.transaction((tx) => this.write(tx, input));
      return;
    }
    const run = this.tail.then(() => this.dataSource.transaction((tx) => this.write(tx, input)));
    this.tail = run.catch(() => undefined);
    await run;
  }

  private async write(manager: EntityManager, input: UsageRecordInput): Promise<void> {
    await manager.insert(UsageRecordEntity, input);
    const mysql = manager.connection.driver.options.type === 'mysql';
    const day = utcDay(input.createdAt);
    const counters = [1, input.promptTokens, input.completionTokens, input.totalTokens, input.costUsd, input.quota];
    await manager.query(rollupUpsert('usage_daily', ['day', 'user_id', 'token_id', 'model'], mysql), [day, input.userId, input.tokenId, input.model, ...counters]);
    const starts = periodStarts(day);
    for (const grain of ['D', 'W', 'M'] as const) {
      await manager.query(rollupUpsert('usage_period_user', ['grain', 'period_start', 'user_id'], mysql), [grain, starts[grain], input.userId, ...counters]);
    }
  }
}

const COUNTERS = ['requests', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cost_usd', 'quota'];

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
