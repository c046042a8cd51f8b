import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import { managerRunner, SqlRunner } from '../database/sql-runner';
import { recordUsageBatch, UsageRecordInput } from '../usages/usage-batch';
import { QuotaLeaseEntity } from './entities/quota-lease.entity';
import { BALANCE, Subject, SubjectKind } from './subject';

/** What one settlement batch does to one subject: quota units, all non-negative. */
export interface SubjectDelta {
  subject: Subject;
  /** The lease the charges were taken from (undefined: none, everything is `direct`). */
  leaseId?: number;
  /** Charged from the lease. */
  fromLease: number;
  /** Charged from the balance itself (the lease did not cover it): the balance may go below zero. */
  direct: number;
  /** Given back from the lease to the balance. */
  giveBack: number;
  /** Added to `used_quota`: fromLease + direct. */
  charged: number;
  /** Added to `request_count` (users only). */
  requests: number;
}

/** A batch of settled requests: their records (quota = what each was charged) and the sums per subject. */
export interface SettlementBatch {
  records: UsageRecordInput[];
  deltas: SubjectDelta[];
}

/** A lease taken or topped up: its row id and the balance left (quota units). `undefined`: the balance does not cover it. */
export type TakeResult = { leaseId: number; balance: number } | undefined;

/** Rows reclaimed at most per sweep. */
const RECLAIM_BATCH = 100;

/**
 * The quota ledger's statements, one transaction each, through TypeORM's public API on either
 * dialect (the rollup upserts in usage-batch.ts are the only dialect-specific text). Every
 * statement that moves quota is one atomic `UPDATE … SET x = x ± ?` (conditional where a balance
 * must cover it), so the invariant holds at every commit:
 * balance + Σ charged usage records + Σ live lease amounts = what the subject was given.
 */
export class LedgerStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Moves `amount` quota units from `subject`'s balance into a lease of `instanceId`: the lease
   * `leaseId` when given (topped up), else a new one. Conditional: nothing moves unless the
   * balance covers `amount` (a NULL user quota never does: unlimited subjects need no lease).
   * @returns the lease's id, or undefined when the balance does not cover it or the lease is gone
   * @throws the driver's error (nothing moved)
   */
  take(instanceId: string, subject: Subject, amount: number, expiresAt: number, leaseId?: number): Promise<TakeResult> {
    return this.dataSource.transaction(async (manager) => {
      const runner = managerRunner(manager);
      const { table, balance } = BALANCE[subject.kind];
      const taken = await runner.exec(`UPDATE ${table} SET ${balance} = ${balance} - ? WHERE id = ? AND ${balance} >= ?`, [amount, subject.id, amount]);
      if (taken.affected !== 1) return undefined;
      const left = await runner.exec(`SELECT ${balance} AS balance FROM ${table} WHERE id = ?`, [subject.id]);
      const after = Number(left.rows[0]?.balance ?? 0);
      if (leaseId !== undefined) {
        const grown = await runner.exec('UPDATE quota_leases SET amount = amount + ?, expires_at = ? WHERE id = ? AND instance_id = ?', [amount, expiresAt, leaseId, instanceId]);
        if (grown.affected === 1) return { leaseId, balance: after };
        throw new LeaseGone(); // rolls the balance back; the caller opens a new lease
      }
      const inserted = await manager.insert(QuotaLeaseEntity, { instanceId, subject: subject.kind, subjectId: subject.id, amount, expiresAt });
      return { leaseId: Number(inserted.identifiers[0].id), balance: after };
    }).catch((error: unknown) => {
      if (error instanceof LeaseGone) return undefined;
      throw error;
    });
  }

  /**
   * Gives `amount` back from lease `leaseId` to its subject's balance. Nothing moves if the lease is
   * gone or holds less. @returns true when the amount moved
   */
  giveBack(leaseId: number, subject: Subject, amount: number): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const runner = managerRunner(manager);
      const shrunk = await runner.exec('UPDATE quota_leases SET amount = amount - ? WHERE id = ? AND amount >= ?', [amount, leaseId, amount]);
      if (shrunk.affected !== 1) return false;
      const { table, balance } = BALANCE[subject.kind];
      await runner.exec(`UPDATE ${table} SET ${balance} = ${balance} + ? WHERE id = ?`, [amount, subject.id]);
      return true;
    });
  }

  /**
   * Ends lease `leaseId`: what its row holds goes back to the subject's balance and the row is
   * deleted, in one transaction, provided the row still holds what was read (else read again);
   * with `expiredBefore` (unix ms) only if it expired before then.
   * @returns the quota units returned, or undefined when the lease was gone (or not expired)
   */
  async close(leaseId: number, subject: Subject, expiredBefore?: number): Promise<number | undefined> {
    const leases = this.dataSource.getRepository(QuotaLeaseEntity);
    for (;;) {
      const row = await leases.findOne({ where: { id: leaseId } });
      if (!row || (expiredBefore !== undefined && row.expiresAt >= expiredBefore)) return undefined;
      const returned = await this.dataSource.transaction(async (manager) => {
        const runner = managerRunner(manager);
        const gone = await runner.exec('DELETE FROM quota_leases WHERE id = ? AND amount = ?', [leaseId, row.amount]);
        if (gone.affected !== 1) return undefined;
        const { table, balance } = BALANCE[subject.kind];
        if (row.amount !== 0) await runner.exec(`UPDATE ${table} SET ${balance} = ${balance} + ? WHERE id = ?`, [row.amount, subject.id]);
        return row.amount;
      });
      if (returned !== undefined) return returned;
    }
  }

  /**
   * Writes a settlement batch in one transaction: the usage records and their rollups, then per
   * subject the charge taken from its lease (from the balance instead when the lease is gone),
   * what was charged beyond it, what the lease gives back, and `used_quota` (+ `request_count`).
   * @throws the driver's error (rolled back: nothing of the batch is written)
   */
  settle(batch: SettlementBatch, now: number): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      const runner = managerRunner(manager);
      await recordUsageBatch(batch.records, runner);
      for (const delta of batch.deltas) await this.applyDelta(runner, delta, now);
    });
  }

  private async applyDelta(runner: SqlRunner, delta: SubjectDelta, now: number): Promise<void> {
    let direct = delta.direct;
    let giveBack = delta.giveBack;
    const fromLease = delta.fromLease + giveBack;
    let leaseLive = delta.leaseId !== undefined;
    if (leaseLive && fromLease > 0) {
      const taken = await runner.exec('UPDATE quota_leases SET amount = amount - ? WHERE id = ? AND amount >= ?', [fromLease, delta.leaseId, fromLease]);
      leaseLive = taken.affected === 1;
    }
    if (!leaseLive) {
      // no lease, or it was reclaimed or cleared by an admin's change: what it would have paid comes from the balance
      direct += delta.fromLease;
      giveBack = 0;
    }
    const { table, balance } = BALANCE[delta.subject.kind];
    const sets = [`used_quota = used_quota + ?`];
    const params: unknown[] = [delta.charged];
    if (direct - giveBack !== 0) {
      sets.push(`${balance} = ${balance} - ?`);
      params.push(direct - giveBack);
    }
    if (delta.subject.kind === 'token') {
      sets.push('accessed_time = ?');
      params.push(Math.floor(now / 1000));
    } else if (delta.requests > 0) {
      sets.push('request_count = request_count + ?');
      params.push(delta.requests);
    }
    await runner.exec(`UPDATE ${table} SET ${sets.join(', ')} WHERE id = ?`, [...params, delta.subject.id]);
  }

  /**
   * Extends the leases `ids` of `instanceId` to `expiresAt` (unix ms). A row of the instance that it
   * does not name is left to expire and be reclaimed.
   * @returns those of `ids` that still exist (the others were reclaimed or cleared)
   */
  async renew(instanceId: string, ids: number[], expiresAt: number): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const leases = this.dataSource.getRepository(QuotaLeaseEntity);
    await leases.update({ instanceId, id: In(ids) }, { expiresAt });
    const live = await leases.find({ select: { id: true }, where: { instanceId, id: In(ids) } });
    return new Set(live.map((l) => l.id));
  }

  /**
   * Returns expired leases (their instance stopped renewing them: it died) to their balances.
   * @returns how many were reclaimed
   */
  async reclaimExpired(now: number): Promise<number> {
    const expired = await this.dataSource.getRepository(QuotaLeaseEntity).find({ where: { expiresAt: LessThan(now) }, take: RECLAIM_BATCH });
    let reclaimed = 0;
    for (const lease of expired) {
      if ((await this.close(lease.id, { kind: lease.subject, id: lease.subjectId }, now)) !== undefined) reclaimed++;
    }
    return reclaimed;
  }

  /**
   * What `subject` has where this instance cannot spend it: its balance, and the quota units held
   * in leases by instances other than `instanceId` (null balance = unlimited: Infinity).
   */
  async elsewhere(instanceId: string, subject: Subject): Promise<{ balance: number; leased: number }> {
    const { table, balance } = BALANCE[subject.kind];
    const [row] = await this.dataSource.query(`SELECT ${balance} AS balance FROM ${table} WHERE id = ?`, [subject.id]);
    const rows = await this.dataSource.getRepository(QuotaLeaseEntity).find({ where: { subject: subject.kind, subjectId: subject.id } });
    const leased = rows.filter((l) => l.instanceId !== instanceId).reduce((sum, l) => sum + l.amount, 0);
    return { balance: row?.balance === null || row?.balance === undefined ? Number.POSITIVE_INFINITY : Number(row.balance), leased };
  }

  /**
   * Deletes every lease of the given subjects, inside the caller's transaction: an admin set a new
   * balance, so what the leases held is void (requests in flight are then charged to the balance).
   */
  static async clearLeases(manager: EntityManager, kind: SubjectKind, ids: number[]): Promise<void> {
    if (ids.length > 0) await manager.delete(QuotaLeaseEntity, { subject: kind, subjectId: In(ids) });
  }

  /** Quota units held in live leases per subject id (what the balances shown to people include). */
  static async leased(manager: EntityManager, kind: SubjectKind, ids: number[]): Promise<Map<number, number>> {
    const held = new Map<number, number>();
    if (ids.length === 0) return held;
    const rows = await manager.find(QuotaLeaseEntity, { select: { subjectId: true, amount: true }, where: { subject: kind, subjectId: In(ids) } });
    for (const row of rows) held.set(row.subjectId, (held.get(row.subjectId) ?? 0) + row.amount);
    return held;
  }
}

/** Thrown inside {@link LedgerStore.take} to roll back when the lease to top up is gone. */
class LeaseGone extends Error {}
