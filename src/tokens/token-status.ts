import { TokenStatus } from './entities/token.entity';

/** The fields the status rules read (entity or a candidate row after an update). */
export interface TokenStatusFields {
  /** Stored status: 1 enabled or 2 disabled. */
  status: number;
  /** Unix seconds, or -1 for never. */
  expiredTime: number;
  unlimitedQuota: boolean;
  /** Integer quota units (500,000 = 1 USD, seed 000). */
  remainQuota: number;
}

/** Seed 002's refusals when a token is switched on (status 1) but cannot work. */
export const ENABLE_REFUSALS = {
  expired: 'the token has expired and cannot be enabled; first change its expiry time or set it to never expire',
  exhausted: "the token's quota is used up and cannot be enabled; first raise its remaining quota or set it to unlimited",
} as const;

/** True when `expired_time` is set (not -1) and lies before `now` (unix seconds). */
export function isExpired(t: Pick<TokenStatusFields, 'expiredTime'>, now: number): boolean {
  return t.expiredTime !== -1 && t.expiredTime < now;
}

/** True when the quota is limited and nothing remains. */
export function isExhausted(t: Pick<TokenStatusFields, 'unlimitedQuota' | 'remainQuota'>): boolean {
  return !t.unlimitedQuota && t.remainQuota <= 0;
}

/**
 * The status a token reads as (seed 002: 1 enabled, 2 disabled, 3 expired, 4 exhausted).
 * Only 1 and 2 are stored; 3 and 4 are derived at `now` (unix seconds). Precedence:
 * disabled (2, the owner's explicit choice) > expired (3) > exhausted (4) > enabled (1).
 * A stored 3/4 (e.g. imported from new-api) is read like 1 and re-derived from the fields.
 */
export function effectiveStatus(t: TokenStatusFields, now: number): TokenStatus {
  if (t.status === TokenStatus.Disabled) return TokenStatus.Disabled;
  if (isExpired(t, now)) return TokenStatus.Expired;
  if (isExhausted(t)) return TokenStatus.Exhausted;
  return TokenStatus.Enabled;
}

/**
 * Why a token (as it will be after the change) may not be switched on, or undefined when it may.
 * Checked in the same order as {@link effectiveStatus}: expiry first, then quota.
 */
export function enableRefusal(t: Omit<TokenStatusFields, 'status'>, now: number): string | undefined {
  if (isExpired(t, now)) return ENABLE_REFUSALS.expired;
  if (isExhausted(t)) return ENABLE_REFUSALS.exhausted;
  return undefined;
}


/** Seed 002's statuses a request may set; 3 and 4 are derived. */
export const STATUS_VALUES_MESSAGE = 'status must be 1 (enabled) or 2 (disabled)';

/**
 * The status a `PUT /api/token/` asks to store, or undefined for none. With `status_only` the sent
 * status is always a change. In a full update, the status the token reads as now (`current`, from
 * {@link effectiveStatus}) is no change: new-api's edit form (EditTokenModal.jsx) sends back every
 * field it loaded, `status` 3 or 4 included; the status is then derived from the new fields.
 * The caller refuses a result other than 1 or 2 with {@link STATUS_VALUES_MESSAGE}.
 */
export function statusChangeOf(requested: number | undefined, current: TokenStatus, statusOnly: boolean): number | undefined {
  if (requested === undefined || (!statusOnly && requested === current)) return undefined;
  return requested;
}
