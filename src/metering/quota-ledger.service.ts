import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { EnvironmentVariables } from '../config/env.validation';
import { retryOnLockConflict } from '../database/lock-conflict';
import type { UsageRecordInput } from '../usages/usage-batch';
import { Lease } from './lease';
import { LedgerStore, SettlementBatch, SubjectDelta } from './ledger-store';
import { Subject, subjectKey } from './subject';

/** A subject a request is charged to, and whether its balance is limited (unlimited ones hold no lease). */
export interface Chargee {
  subject: Subject;
  limited: boolean;
}

/** What an admitted request holds on one subject until it settles. */
interface HoldPart {
  subject: Subject;
  /** The lease the reservation came from; undefined for an unlimited subject. */
  lease: Lease | undefined;
  /** Quota units reserved. */
  reserved: number;
}

/** An admitted request's reservations, one per subject it is charged to. */
export interface Hold {
  readonly parts: HoldPart[];
}

/** Why a request was not admitted: the first subject whose balance could not cover it. */
export interface Refusal {
  refused: Subject;
}

/** The outcome of {@link QuotaLedger.hold}. */
export type Admission = Hold | Refusal;

/** A settled request waiting for its batch. */
interface Pending {
  record: UsageRecordInput;
  deltas: SubjectDelta[];
  /** The leases it was charged to (their `unsettled` count drops once it is written). */
  leases: Lease[];
}

/** Settlements written per transaction at most. */
const MAX_BATCH = 500;
/** An unused lease is given back after this long. */
const IDLE_MS = 5_000;
/** After a recall, a subject takes quota per request on this instance for this long. */
const RECALLED_MS = 10_000;
/** How long a request the balance cannot cover waits for leases recalled from other instances (the change feed is polled twice a second). */
const RECALL_WAIT_MS = 1_500;
/** Retries of a failed settlement batch before its requests are given up (and logged). */
const SETTLE_ATTEMPTS = 3;

/**
 * The one quota ledger: reserve, settle and give back, for API tokens and users alike.
 *
 * Admission spends from an in-memory {@link Lease} this instance holds on each limited subject
 * (a token's `remain_quota`, a user's `quota`): no database round trip and no promise while the
 * lease covers the request. A lease is taken from the balance by one conditional UPDATE
 * ({@link LedgerStore.take}), sized to the subject's recent spending and bounded by a share of the
 * balance, topped up before it runs dry, given back when idle, on shutdown, and at once when the
 * subject changes (any `token` or `user` invalidation, from this instance or another). Near
 * exhaustion a lease takes just what each request is missing; a request the balance cannot cover
 * while other instances hold leases on the subject recalls them (a `lease` invalidation) and
 * waits for them before it is refused.
 *
 * Settlement charges what the upstream really used, in full: from the request's lease as far as
 * it goes, beyond that from the balance, which may then go below zero (the subject is refused
 * until topped up). Settlements are written in batches every `METERING_SETTLE_MS`, each batch one
 * transaction with its usage records, so `used_quota` always equals the sum of the records.
 * Leases are renewed while this instance lives; any instance returns the leases of one that died
 * once they expire (`METERING_LEASE_TTL_MS`).
 */
@Injectable()
export class QuotaLedger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metering');
  private readonly instanceId = randomUUID();
  private readonly store: LedgerStore;
  private readonly leases = new Map<string, Lease>();
  /** Retired leases whose rows are still to be closed. */
  private readonly closing = new Set<Lease>();
  /** Subjects recalled by another instance: per request until this time (unix ms). */
  private readonly recalled = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly settleMs: number;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly background = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly bus: InvalidationBus,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.store = new LedgerStore(dataSource);
    this.ttlMs = config.get('METERING_LEASE_TTL_MS', { infer: true });
    this.settleMs = config.get('METERING_SETTLE_MS', { infer: true });
    bus.subscribe((event) => {
      if (event.topic === 'token' || event.topic === 'user') this.retireMatching(event.topic, event.id);
      else if (event.topic === 'lease' && typeof event.id === 'string') this.onRecall(event.id);
    });
  }

  /**
   * Reserves `amount` quota units (at least 1) on every limited subject of `chargees`. Returns at
   * once (no promise) when this instance's leases cover it; otherwise a promise, after the top-ups.
   * Unlimited subjects reserve nothing (their charges are still counted in `used_quota`).
   * @returns the hold, or the first subject whose balance cannot cover `amount`
   * @throws the driver's error when a top-up failed (nothing is held)
   */
  hold(chargees: Chargee[], amount: number): Admission | Promise<Admission> {
    const units = Math.max(1, Math.ceil(amount));
    const now = Date.now();
    const parts: HoldPart[] = [];
    let missing: number[] | undefined;
    for (let i = 0; i < chargees.length; i++) {
      const { subject, limited } = chargees[i];
      if (!limited) {
        parts.push({ subject, lease: undefined, reserved: 0 });
        continue;
      }
      const lease = this.leaseOf(subject, now);
      parts.push({ subject, lease, reserved: 0 });
      if (lease.free >= units) {
        lease.reserve(units, now);
        parts[i].reserved = units;
        if (lease.wantsTopUp(units)) this.startTopUp(lease, units);
      } else (missing ??= []).push(i);
    }
    if (!missing) return { parts };
    return this.holdRest(parts, missing, units);
  }

  /**
   * Settles an admitted request: it cost `charge` quota units (charged in full), and `record` is
   * its usage record (written with the charge, in the next batch). Returns at once.
   */
  settle(hold: Hold, charge: number, record: Omit<UsageRecordInput, 'quota'>): void {
    const units = Math.max(0, Math.ceil(charge));
    const deltas: SubjectDelta[] = [];
    const leases: Lease[] = [];
    for (const part of hold.parts) {
      const delta: SubjectDelta = { subject: part.subject, fromLease: 0, direct: 0, giveBack: 0, charged: units, requests: 1 };
      const lease = part.lease;
      if (lease) {
        leases.push(lease);
        lease.unsettled++;
        lease.reserved -= part.reserved;
        delta.leaseId = lease.leaseId;
        delta.fromLease = Math.min(units, Math.max(0, lease.free));
        delta.direct = units - delta.fromLease;
        lease.held -= delta.fromLease;
        // Charged beyond the lease: the balance pays and may be in debt. Every lease on the subject,
        // here and elsewhere, gives back what it holds (paying the debt), so no quota that a
        // lease still holds is spent while the subject owes.
        if (delta.direct > 0 && !lease.retired) this.bus.publish({ topic: 'lease', id: subjectKey(part.subject) });
        if (lease.retired) {
          delta.giveBack = Math.max(0, lease.free);
          lease.held -= delta.giveBack;
        }
      } else delta.direct = 0; // unlimited: counted, nothing taken
      deltas.push(delta);
    }
    this.queue.push({ record: { ...record, quota: units }, deltas, leases });
    if (this.queue.length >= MAX_BATCH) this.flushSoon(0);
    else this.flushSoon(this.settleMs);
  }

  /** Queues the usage record of a request refused before it held any quota: quota 0, nothing charged. */
  record(record: Omit<UsageRecordInput, 'quota'>): void {
    this.queue.push({ record: { ...record, quota: 0 }, deltas: [], leases: [] });
    this.flushSoon(this.settleMs);
  }

  /** Resolves once every settlement queued so far is written (or has failed and been logged). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      this.flushSoon(0);
      await this.flushing;
    }
  }

  /** Settlements queued and not yet written (for metrics). */
  queued(): number {
    return this.queue.length;
  }

  /** Quota units this instance's leases hold right now, per subject key (for metrics and tests). */
  heldByThisInstance(): Map<string, number> {
    return new Map([...this.leases].map(([key, lease]) => [key, lease.held]));
  }

  /** Starts the renewals, the reclaim sweep and the idle check. */
  onApplicationBootstrap(): void {
    const every = (ms: number, task: () => Promise<unknown>) => {
      const timer = setInterval(() => this.track(task()), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(Math.max(50, Math.floor(this.ttlMs / 3)), () => this.renew());
    every(Math.max(50, Math.floor(this.ttlMs / 2)), () => this.store.reclaimExpired(Date.now()));
    every(1_000, () => this.maintain());
  }

  /** Writes what is queued, then gives every lease back. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.drain();
    for (const lease of [...this.leases.values()]) this.retire(lease);
    await this.closeRetired();
    await Promise.allSettled([...this.background]);
  }

  private leaseOf(subject: Subject, now: number): Lease {
    const key = subjectKey(subject);
    let lease = this.leases.get(key);
    if (!lease) {
      lease = new Lease(subject);
      lease.lastUsed = now;
      if ((this.recalled.get(key) ?? 0) > now) lease.direct = true;
      this.leases.set(key, lease);
    }
    return lease;
  }

  private async holdRest(parts: HoldPart[], missing: number[], units: number): Promise<Admission> {
    try {
      for (const i of missing) {
        const lease = await this.acquire(parts[i].lease!, units);
        if (!lease) {
          this.undo(parts);
          return { refused: parts[i].subject };
        }
        parts[i].lease = lease;
        parts[i].reserved = units;
      }
      return { parts };
    } catch (error) {
      this.undo(parts);
      throw error;
    }
  }

  /** Gives back the reservations of a hold that was not completed. */
  private undo(parts: HoldPart[]): void {
    for (const part of parts) {
      if (part.lease && part.reserved > 0) part.lease.reserved -= part.reserved;
      part.reserved = 0;
    }
  }

  /**
   * Makes `units` fit in `lease` and reserves them: waits for the take under way (one at a time
   * per lease, so that concurrent requests never open two leases), takes more from the balance,
   * and when the balance cannot cover it while other instances hold leases on the subject, recalls
   * those and tries again until {@link RECALL_WAIT_MS} has passed.
   * @returns the lease the units were reserved on (a fresh one if `lease` was replaced meanwhile),
   *   or undefined when the quota cannot cover them
   */
  private async acquire(lease: Lease, units: number): Promise<Lease | undefined> {
    let deadline: number | undefined;
    for (;;) {
      if (lease.retired) lease = this.leaseOf(lease.subject, Date.now());
      if (lease.free >= units) {
        lease.reserve(units, Date.now());
        return lease;
      }
      if (lease.taking) {
        await lease.taking.catch(() => false);
        continue;
      }
      if (await this.startTake(lease, units)) continue;
      if (lease.retired) continue;
      // the balance cannot cover it: leases elsewhere may hold what it needs
      if (this.stopped) return undefined;
      const { balance, leased } = await this.store.elsewhere(this.instanceId, lease.subject);
      if (leased <= 0 || Math.max(0, balance) + leased + Math.max(0, lease.free) < units) return undefined; // all of it together does not cover it
      deadline ??= Date.now() + RECALL_WAIT_MS;
      if (Date.now() > deadline) return undefined;
      this.bus.publish({ topic: 'lease', id: subjectKey(lease.subject) });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Starts a top-up ahead of need (its failure is logged; requests then take what they need themselves). */
  private startTopUp(lease: Lease, units: number): void {
    this.startTake(lease, units).catch((error: Error) => this.logger.warn(`quota lease top-up for ${subjectKey(lease.subject)} failed: ${error.message}`));
  }

  /** Runs {@link take} as the lease's one take under way. */
  private startTake(lease: Lease, units: number): Promise<boolean> {
    const taking = this.take(lease, units);
    lease.taking = taking;
    void taking.catch(() => false).finally(() => {
      if (lease.taking === taking) lease.taking = undefined;
    });
    return taking;
  }

  /**
   * Takes what `lease` wants for reservations of `units` from the balance (the whole target, or
   * only what is missing when that is all the balance has, switching to per request).
   * @returns true when something was taken
   */
  private async take(lease: Lease, units: number): Promise<boolean> {
    const attempt = async (amount: number): Promise<boolean> => {
      if (amount <= 0) return true;
      const expiresAt = Date.now() + this.ttlMs;
      const taken = await retryOnLockConflict(() => this.store.take(this.instanceId, lease.subject, amount, expiresAt, lease.leaseId));
      if (!taken) return false;
      lease.leaseId = taken.leaseId;
      lease.held += amount;
      if (lease.retired) {
        // replaced while the take was under way: what it got goes back with it
        this.closing.add(lease);
        return false;
      }
      lease.sawBalance(taken.balance, units);
      return true;
    };
    const want = lease.want(units);
    if (await attempt(want)) return true;
    if (lease.retired) return false;
    const missing = Math.max(0, units - lease.free);
    if (missing < want && (await attempt(missing))) {
      lease.direct = true;
      return true;
    }
    return false;
  }

  private flushSoon(delayMs: number): void {
    if (this.flushing) return;
    if (delayMs === 0) {
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.flushSoon(this.settleMs);
      });
      return;
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flushSoon(0);
    }, delayMs);
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const pending = this.queue.splice(0, MAX_BATCH);
      const batch = toBatch(pending);
      let error: Error | undefined;
      for (let attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
        try {
          await retryOnLockConflict(() => this.store.settle(batch, Date.now()));
          error = undefined;
          break;
        } catch (caught) {
          error = caught as Error;
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        }
      }
      if (error) {
        const ids = pending.map((p) => p.record.requestId).join(',');
        this.logger.error(`settling ${pending.length} request(s) failed, not charged (their leases return what they held): ${error.message} [${ids}]`);
      }
      for (const p of pending) for (const lease of p.leases) lease.unsettled--;
    }
    await this.closeRetired();
  }

  /**
   * Closes the rows of retired leases no request holds and no queued settlement is charged to any
   * more (what they hold goes back to the balance; returning a charge not yet written would let it
   * be spent twice).
   */
  private async closeRetired(): Promise<void> {
    for (const lease of [...this.closing]) {
      if (lease.reserved > 0 || lease.unsettled > 0) continue;
      this.closing.delete(lease);
      if (lease.leaseId === undefined) continue;
      try {
        await this.store.close(lease.leaseId, lease.subject);
      } catch (error) {
        this.closing.add(lease);
        this.logger.warn(`returning the quota lease of ${subjectKey(lease.subject)} failed: ${(error as Error).message}`);
        return;
      }
    }
  }

  /** Replaces the lease of `subject` by a fresh one; what the old one holds goes back once its requests settle. */
  private retire(lease: Lease): void {
    if (lease.retired) return;
    lease.retired = true;
    const key = subjectKey(lease.subject);
    if (this.leases.get(key) === lease) this.leases.delete(key);
    if (lease.leaseId === undefined) return;
    this.closing.add(lease);
    if (lease.reserved === 0 && lease.unsettled === 0) {
      this.track(this.closeRetired());
    } else if (lease.free > 0) {
      const free = lease.free;
      lease.held -= free;
      this.track(this.store.giveBack(lease.leaseId, lease.subject, free));
    }
  }

  private retireMatching(kind: 'token' | 'user', id: number | string | undefined): void {
    for (const lease of [...this.leases.values()]) {
      if (lease.subject.kind === kind && (id === undefined || lease.subject.id === Number(id))) this.retire(lease);
    }
  }

  /**
   * Another instance needs this subject's quota: give the lease back (what is free at once, the
   * rest once the queued settlements charged to it are written, which happens now) and take per
   * request for a while.
   */
  private onRecall(key: string): void {
    this.recalled.set(key, Date.now() + RECALLED_MS);
    const lease = this.leases.get(key);
    if (!lease) return;
    this.retire(lease);
    if (lease.unsettled > 0) this.flushSoon(0);
  }

  /**
   * Renews the rows of this instance's leases (retired ones still to be closed included); a lease
   * whose row is gone (reclaimed, or cleared by an admin) is replaced. Only the leases known before
   * the statements ran are judged: a row created meanwhile is not missing.
   */
  private async renew(): Promise<void> {
    const known = [...this.leases.values(), ...this.closing].filter((l) => l.leaseId !== undefined).map((l) => [l, l.leaseId!] as const);
    const live = await this.store.renew(this.instanceId, known.map(([, id]) => id), Date.now() + this.ttlMs);
    for (const [lease, id] of known) {
      if (lease.leaseId !== id || live.has(id)) continue;
      lease.leaseId = undefined; // its requests settle against the balance
      lease.held = lease.reserved;
      this.closing.delete(lease);
      this.retire(lease);
    }
  }

  /** Gives back idle leases, forgets old recalls, retries closing. */
  private async maintain(): Promise<void> {
    const now = Date.now();
    for (const lease of [...this.leases.values()]) if (lease.reserved === 0 && now - lease.lastUsed > IDLE_MS) this.retire(lease);
    for (const [key, until] of this.recalled) if (until < now) this.recalled.delete(key);
    await this.closeRetired();
  }

  /** Keeps a background task's promise (awaited at shutdown); its failure is logged, never thrown. */
  private track(task: Promise<unknown>): void {
    const tracked = task.catch((error: Error) => this.logger.warn(`metering: ${error.message}`));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }
}

/** Sums the deltas of a batch per subject and lease, in a fixed order (fewer deadlocks between instances). */
function toBatch(pending: Pending[]): SettlementBatch {
  const sums = new Map<string, SubjectDelta>();
  for (const p of pending) {
    for (const d of p.deltas) {
      const key = `${subjectKey(d.subject)}:${d.leaseId ?? ''}`;
      const sum = sums.get(key);
      if (!sum) sums.set(key, { ...d });
      else {
        sum.fromLease += d.fromLease;
        sum.direct += d.direct;
        sum.giveBack += d.giveBack;
        sum.charged += d.charged;
        sum.requests += d.requests;
      }
    }
  }
  const deltas = [...sums.values()].sort((a, b) => (a.subject.kind === b.subject.kind ? a.subject.id - b.subject.id : a.subject.kind < b.subject.kind ? -1 : 1));
  return { records: pending.map((p) => p.record), deltas };
}
