import type { Subject } from './subject';

/** How far ahead a lease is sized: this many ms of the subject's recent spending. */
const HORIZON_MS = 2_000;
/** A lease covers at least this many reservations of the size being asked for. */
const MIN_RESERVATIONS = 4;
/** Largest lease, quota units (20 USD at 500,000 per USD). */
export const MAX_LEASE = 10_000_000;
/** A lease takes at most this share of what the balance had left. */
const BALANCE_SHARE = 4;
/** Near exhaustion: below this many reservations left in the balance, quota is taken per request. */
const DIRECT_BELOW = 16;
/** Leaving per-request mode: the balance holds this many reservations again. */
const LEASE_ABOVE = 64;

/**
 * One instance's lease on one subject's quota, in memory (its row is a QuotaLeaseEntity).
 * `held` is what the row holds as far as this instance knows (quota units not yet charged);
 * `reserved` the part of it that admitted requests hold until they settle. A lease is replaced
 * by a fresh one (`retired`) when the subject changes; requests admitted on the old one settle
 * against its row, or against the balance when the row is gone.
 */
export class Lease {
  leaseId: number | undefined;
  held = 0;
  reserved = 0;
  /** Set once replaced: it takes no more requests and gives back what it holds. */
  retired = false;
  /** Settlements charged to it in memory and not yet written: until they are, its row still holds their quota. */
  unsettled = 0;
  /** Near exhaustion: every request takes from the balance only what the lease is missing for it. */
  direct = false;
  /** The balance after this instance's last take, quota units. */
  balanceSeen = Number.POSITIVE_INFINITY;
  /** The take from the balance under way: one at a time per lease, the requests that need more wait for it. */
  taking: Promise<boolean> | undefined;
  lastUsed = 0;
  private windowStart = 0;
  private windowUnits = 0;
  /** Reserved quota units per second, smoothed. */
  private rate = 0;

  constructor(readonly subject: Subject) {}

  /** Quota units held and not reserved by a request. */
  get free(): number {
    return this.held - this.reserved;
  }

  /** Reserves `amount` from what is free (the caller checked it fits) and notes the spending rate. */
  reserve(amount: number, now: number): void {
    this.reserved += amount;
    this.lastUsed = now;
    if (now - this.windowStart >= 1_000) {
      const seconds = this.windowStart === 0 ? 1 : (now - this.windowStart) / 1_000;
      this.rate = this.rate === 0 ? this.windowUnits / seconds : (this.rate + this.windowUnits / seconds) / 2;
      this.windowStart = now;
      this.windowUnits = 0;
    }
    this.windowUnits += amount;
  }

  /**
   * The lease's target size for reservations of `amount`: recent spending over the horizon, at
   * least a few reservations, at most {@link MAX_LEASE} and a share of the balance last seen.
   */
  target(amount: number): number {
    const spending = Math.ceil(((this.rate + this.windowUnits) * HORIZON_MS) / 1_000);
    const target = Math.min(MAX_LEASE, Math.max(spending, amount * MIN_RESERVATIONS));
    return Number.isFinite(this.balanceSeen) ? Math.min(target, Math.floor(this.balanceSeen / BALANCE_SHARE)) : target;
  }

  /** How much to take from the balance so that `amount` fits: up to the target, or (per request) just what is missing. */
  want(amount: number): number {
    const missing = Math.max(0, amount - this.free);
    return this.direct ? missing : Math.max(missing, this.target(amount) - this.free);
  }

  /** True when, after a reservation of `amount`, less than half the target would be free: top up ahead of need. */
  wantsTopUp(amount: number): boolean {
    return !this.direct && !this.retired && this.taking === undefined && this.free < this.target(amount) / 2;
  }

  /** Notes the balance left after a take of reservations of `amount`, switching per-request mode on or off. */
  sawBalance(balance: number, amount: number): void {
    this.balanceSeen = balance;
    if (balance < amount * DIRECT_BELOW) this.direct = true;
    else if (balance >= amount * LEASE_ABOVE) this.direct = false;
  }
}
