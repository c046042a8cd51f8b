import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { Clock } from '../common/clock';
import { utcOffsetMinutes } from '../common/utc-offset';
import { retryOnLockConflict } from '../database/lock-conflict';
import { managerRunner } from '../database/sql-runner';
import type { ResetPeriod } from './entities/policy-columns';
import { QuotaResetEntity } from './entities/quota-reset.entity';
import { LedgerStore } from './ledger-store';
import { nextResetAt } from './reset-period';
import { BALANCE, SubjectKind } from './subject';

/** How often each instance looks for balances due for a reset. */
export const RESET_SWEEP_MS = 10_000;
/** Balances reset per table and sweep at most (the next sweep goes on). */
const SWEEP_BATCH = 200;

interface DueRow {
  id: number | string;
  period: ResetPeriod;
  amount: number | string;
  tz: string;
  due: number | string;
}

/**
 * Periodic quota resets of tokens and users (`quota_reset_period`): at each boundary the balance
 * becomes `quota_reset_amount` (it is not added to), exactly once whatever the number of
 * instances: a reset is one conditional `UPDATE … WHERE next_reset_at = <the boundary>` that also
 * moves `next_reset_at` to the next boundary after now, in one transaction with the clearing of the
 * balance's leases and its record in `quota_resets`. A boundary missed while every instance was
 * down is applied once, at the next start. Every instance sweeps at start and every
 * {@link RESET_SWEEP_MS}; admission never waits for it.
 */
@Injectable()
export class QuotaResets implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('QuotaResets');
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: InvalidationBus,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sweep().catch((error: Error) => this.logger.error(`quota resets at start failed: ${error.message}`));
    this.timer = setInterval(() => {
      this.sweep().catch((error: Error) => this.logger.error(`quota reset sweep failed: ${error.message}`));
    }, RESET_SWEEP_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
  }

  /**
   * Resets every balance whose boundary has passed (a sweep already running is joined).
   * @returns how many this instance reset
   */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepAll().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepAll(): Promise<number> {
    let done = 0;
    for (const kind of ['token', 'user'] as const) done += await this.sweepKind(kind);
    return done;
  }

  private async sweepKind(kind: SubjectKind): Promise<number> {
    const now = Math.floor(this.clock.now() / 1000);
    const { table } = BALANCE[kind];
    const due: DueRow[] = await this.dataSource.query(
      `SELECT id, quota_reset_period AS period, quota_reset_amount AS amount, quota_reset_tz AS tz, next_reset_at AS due FROM ${table} ` +
        `WHERE next_reset_at IS NOT NULL AND next_reset_at <= ? ORDER BY next_reset_at LIMIT ${SWEEP_BATCH}`,
      [now],
    );
    let done = 0;
    for (const row of due) {
      if (await retryOnLockConflict(() => this.reset(kind, row, now))) {
        done++;
        this.bus.publish({ topic: kind, id: Number(row.id) });
      }
    }
    return done;
  }

  /** One reset, if no instance did it first. @returns true when this call did it */
  private reset(kind: SubjectKind, row: DueRow, now: number): Promise<boolean> {
    const { table, balance } = BALANCE[kind];
    const id = Number(row.id);
    const due = Number(row.due);
    const amount = row.amount === null || row.amount === undefined ? null : Number(row.amount);
    const next = nextResetAt(row.period, utcOffsetMinutes(row.tz) ?? 0, now);
    return this.dataSource.transaction(async (manager) => {
      const runner = managerRunner(manager);
      const [before] = (await runner.exec(`SELECT ${balance} AS balance FROM ${table} WHERE id = ?`, [id])).rows;
      const leased = (await LedgerStore.leased(manager, kind, [id])).get(id) ?? 0;
      // a reset without an amount (cleared meanwhile) only moves on to the next boundary
      const sets = amount === null ? 'next_reset_at = ?' : `${balance} = ?, next_reset_at = ?`;
      const params = amount === null ? [next, id, due] : [amount, next, id, due];
      const moved = await runner.exec(`UPDATE ${table} SET ${sets} WHERE id = ? AND next_reset_at = ?`, params);
      if (moved.affected !== 1 || amount === null) return false;
      await LedgerStore.clearLeases(manager, kind, [id]);
      const previous = before?.balance === null || before?.balance === undefined ? null : Number(before.balance) + leased;
      await manager.insert(QuotaResetEntity, { subject: kind, subjectId: id, period: row.period, dueAt: due, doneAt: now, previous, amount });
      return true;
    });
  }
}
