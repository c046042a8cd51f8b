import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { UsageRecorder, UsageRecordInput } from '../usages/usage-recorder.service';

/** What a request reserved before its upstream call (quota units; 0 for unlimited tokens). */
export interface Reservation {
  tokenId: number;
  unlimited: boolean;
  reserved: number;
}

/**
 * Quota metering of issue 4: reserve an estimate before the upstream call with one atomic
 * conditional UPDATE, then settle to the real charge and write the usage record in one
 * transaction (settlement UPDATE, record, daily rollup). Never drives `remain_quota` below zero
 * nor charges more than was there.
 *
 * SQLite (better-sqlite3) runs every statement on one shared connection, and TypeORM does not
 * queue concurrent transactions on it, so here all metering writes go through one in-process
 * queue: no other request's statement can land inside a settlement transaction. MySQL/MariaDB
 * use pooled connections and row locks instead.
 */
@Injectable()
export class MeteringService {
  private readonly mysql: boolean;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly recorder: UsageRecorder,
  ) {
    this.mysql = dataSource.driver.options.type === 'mysql';
  }

  /**
   * Reserves `amount` quota units: `remain_quota -= amount, used_quota += amount, accessed_time = now`
   * only if `remain_quota >= amount`, in one statement. Unlimited tokens reserve nothing (no write).
   * @returns the reservation, or undefined when the quota does not cover it.
   */
  async reserve(tokenId: number, unlimited: boolean, amount: number): Promise<Reservation | undefined> {
    if (unlimited || amount <= 0) return { tokenId, unlimited, reserved: 0 };
    const now = Math.floor(Date.now() / 1000);
    const affected = await this.serial(() =>
      this.run(
        undefined,
        'UPDATE tokens SET remain_quota = remain_quota - ?, used_quota = used_quota + ?, accessed_time = ? WHERE id = ? AND remain_quota >= ?',
        [amount, amount, now, tokenId, amount],
      ),
    );
    return affected === 1 ? { tokenId, unlimited, reserved: amount } : undefined;
  }

  /**
   * Settles a reservation to `charge` quota units and writes the usage record, in one transaction:
   * refunds the difference when the charge is smaller; when larger, charges the extra only as far
   * as `remain_quota` goes (never below zero). The record's `quota` is what was actually charged.
   * @returns the quota units charged.
   */
  settle(reservation: Reservation, charge: number, record: Omit<UsageRecordInput, 'quota'>): Promise<number> {
    return this.serial(() =>
      this.dataSource.transaction(async (tx) => {
        const charged = await this.adjust(tx, reservation, Math.max(0, Math.floor(charge)));
        await this.recorder.record({ ...record, quota: charged }, tx);
        return charged;
      }),
    );
  }

  private async adjust(tx: EntityManager, r: Reservation, charge: number): Promise<number> {
    const now = Math.floor(Date.now() / 1000);
    if (r.unlimited) {
      await this.run(tx, 'UPDATE tokens SET used_quota = used_quota + ?, accessed_time = ? WHERE id = ?', [charge, now, r.tokenId]);
      return charge;
    }
    const delta = charge - r.reserved;
    if (delta < 0) {
      await this.run(tx, 'UPDATE tokens SET remain_quota = remain_quota + ?, used_quota = used_quota - ?, accessed_time = ? WHERE id = ?', [
        -delta,
        -delta,
        now,
        r.tokenId,
      ]);
      return charge;
    }
    if (delta === 0) return charge;
    const extraSql =
      'UPDATE tokens SET remain_quota = remain_quota - ?, used_quota = used_quota + ?, accessed_time = ? WHERE id = ? AND remain_quota >= ?';
    if ((await this.run(tx, extraSql, [delta, delta, now, r.tokenId, delta])) === 1) return charge;
    // The extra does not fit: charge what is left, read under a row lock (MySQL) or inside the serialized transaction (SQLite).
    const rows: { remain_quota: number | string }[] = await tx.query(
      `SELECT remain_quota FROM tokens WHERE id = ?${this.mysql ? ' FOR UPDATE' : ''}`,
      [r.tokenId],
    );
    const left = Math.max(0, Math.min(delta, Number(rows[0]?.remain_quota ?? 0)));
    if (left > 0 && (await this.run(tx, extraSql, [left, left, now, r.tokenId, left])) === 1) return r.reserved + left;
    return r.reserved;
  }

  /** Runs one write and returns the affected row count. */
  private async run(tx: EntityManager | undefined, sql: string, params: unknown[]): Promise<number> {
    let runner: QueryRunner | undefined = tx?.queryRunner;
    const own = !runner;
    runner ??= this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return Number(result.affected ?? 0);
    } finally {
      if (own) await runner.release();
    }
  }

  /** On SQLite, runs `fn` after every earlier metering write finished; on MySQL at once. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.mysql) return fn();
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
