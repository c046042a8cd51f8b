import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { UsageRecordEntity } from './entities/usage-record.entity';

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
 * Writes one usage record and adds it to its daily rollup (day, user, token, model) in one
 * transaction: the caller's `manager` when given (so quota settlement, record and rollup commit
 * together), else a new transaction. The rollup is a single upsert that adds, never a read-modify-write.
 * On SQLite (REAL decimals) the rollup's cost is re-rounded to 10 places at each add so float error
 * cannot accumulate; reports sum it as integer 1e-10 USD units (see usage-cost.ts).
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
    const params = [
      utcDay(input.createdAt),
      input.userId,
      input.tokenId,
      input.model,
      1,
      input.promptTokens,
      input.completionTokens,
      input.totalTokens,
      input.costUsd,
      input.quota,
    ];
    const insert =
      'INSERT INTO usage_daily (day, user_id, token_id, model, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd, quota) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    if (manager.connection.driver.options.type === 'mysql') {
      await manager.query(
        `${insert} ON DUPLICATE KEY UPDATE requests = requests + VALUES(requests), prompt_tokens = prompt_tokens + VALUES(prompt_tokens), ` +
          'completion_tokens = completion_tokens + VALUES(completion_tokens), total_tokens = total_tokens + VALUES(total_tokens), ' +
          'cost_usd = cost_usd + VALUES(cost_usd), quota = quota + VALUES(quota)',
        params,
      );
    } else {
      await manager.query(
        `${insert} ON CONFLICT (day, user_id, token_id, model) DO UPDATE SET requests = requests + excluded.requests, ` +
          'prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens, ' +
          'total_tokens = total_tokens + excluded.total_tokens, cost_usd = ROUND(cost_usd + excluded.cost_usd, 10), quota = quota + excluded.quota',
        params,
      );
    }
  }
}
