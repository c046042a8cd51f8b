import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.validation';
import { PeriodicTask } from '../common/scheduling/periodic-task';
import { deleteInBatches } from '../database/batched-delete';
import { toSqlUtc } from '../database/sql-utc';

/** Rows deleted per statement, so a purge never holds long locks. */
export const PURGE_BATCH_SIZE = 5000;

/** How often the purge runs. */
export const PURGE_INTERVAL_MS = 60 * 60 * 1000;

const DAY_MS = 86_400_000;

/**
 * Retention of raw usage records: records older than `USAGE_RETENTION_DAYS` days
 * (default 90; 0 keeps them forever) are deleted in batches of {@link PURGE_BATCH_SIZE} through the
 * `created_at` index, hourly (an unref'd timer started at bootstrap, cleared at shutdown).
 * The `usage_daily` rollups are kept, so `/1/usages` and `/daily` still cover purged days.
 */
@Injectable()
export class UsageRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(UsageRetentionService.name);
  private readonly purge = new PeriodicTask<number>('usage retention purge', this.logger);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  /** Retention in days; 0 means records are never purged. */
  get retentionDays(): number {
    return this.config.get('USAGE_RETENTION_DAYS', { infer: true });
  }

  onApplicationBootstrap(): void {
    if (this.retentionDays <= 0) return;
    this.purge.start(PURGE_INTERVAL_MS, () => this.purgeBefore(this.cutoff(new Date())));
  }

  onModuleDestroy(): void {
    this.purge.stop();
  }

  /**
   * Deletes raw records with `created_at` before `now - USAGE_RETENTION_DAYS`, batch by batch until
   * none is left; a purge already running is joined rather than doubled.
   * @returns the number of records deleted (0 when retention is disabled).
   */
  purgeExpired(now = new Date()): Promise<number> {
    if (this.retentionDays <= 0) return Promise.resolve(0);
    return this.purge.runOnce(() => this.purgeBefore(this.cutoff(now)));
  }

  private cutoff(now: Date): Date {
    return new Date(now.getTime() - this.retentionDays * DAY_MS);
  }

  private async purgeBefore(cutoff: Date): Promise<number> {
    const total = await deleteInBatches(this.dataSource, 'usage_records', 'created_at', toSqlUtc(cutoff), PURGE_BATCH_SIZE);
    if (total > 0) this.logger.log(`purged ${total} usage records older than ${cutoff.toISOString()}`);
    return total;
  }
}
