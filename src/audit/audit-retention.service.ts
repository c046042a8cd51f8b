import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import type { EnvironmentVariables } from '../config/env.validation';
import { PeriodicTask } from '../common/scheduling/periodic-task';
import { deleteInBatches } from '../database/batched-delete';
import { toSqlUtc } from '../database/sql-utc';

/** Records deleted per statement. */
export const AUDIT_PURGE_BATCH_SIZE = 5000;

/** How often the purge runs. */
export const AUDIT_PURGE_INTERVAL_MS = 60 * 60 * 1000;

const DAY_MS = 86_400_000;

/**
 * Retention of the audit log: records older than `AUDIT_RETENTION_DAYS` days by {@link Clock} (default 365;
 * 0 keeps them forever) are deleted in batches through the `created_at` index, hourly (an unref'd timer
 * started at bootstrap, cleared at shutdown). A failed purge is logged and tried again at the next hour;
 * it never throws out of the timer.
 */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditRetention');
  private readonly purge = new PeriodicTask<number>('audit retention purge', this.logger);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: ConfigService<EnvironmentVariables, true>,
    private readonly clock: Clock,
  ) {}

  /** Retention in days; 0 means records are never purged. */
  get retentionDays(): number {
    return this.config.get('AUDIT_RETENTION_DAYS', { infer: true });
  }

  onApplicationBootstrap(): void {
    if (this.retentionDays <= 0) return;
    this.purge.start(AUDIT_PURGE_INTERVAL_MS, () => this.purgeBefore());
  }

  onModuleDestroy(): void {
    this.purge.stop();
  }

  /**
   * Deletes the records created before now - `AUDIT_RETENTION_DAYS`; a purge already running is joined
   * rather than doubled.
   * @returns the number of records deleted (0 when retention is off).
   */
  purgeExpired(): Promise<number> {
    if (this.retentionDays <= 0) return Promise.resolve(0);
    return this.purge.runOnce(() => this.purgeBefore());
  }

  private async purgeBefore(): Promise<number> {
    const cutoff = new Date(this.clock.now() - this.retentionDays * DAY_MS);
    const total = await deleteInBatches(this.dataSource, 'audit_records', 'created_at', toSqlUtc(cutoff), AUDIT_PURGE_BATCH_SIZE);
    if (total > 0) this.logger.log(`purged ${total} audit records older than ${cutoff.toISOString()}`);
    return total;
  }
}
