import * as ipaddr from 'ipaddr.js';
import type { RateLimits } from '../metering/rate-limits.service';
import { TokenStatus } from './entities/token.entity';
import { isExpired } from './token-status';

/** A parsed `allow_ips` entry: one address or a CIDR range. */
export type IpRule = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The state of an account as the token rules read it (users.is_delete, users.status 1/2). */
export type OwnerState = 'active' | 'deleted' | 'disabled';

/**
 * An API token as its policy reads it, parsed once (the relay caches it by key hash): the policy
 * fields of `tokens` (seed 000) and what the rules need of its owner. Quota is not read here: the
 * quota ledger decides it.
 */
export interface PolicyToken {
  /**
   * `tokens.id`, or null for a user's own access token presented to the relay (seed 003's team
   * flow): no token-level limits apply then (enabled, never expires, any address, any model,
   * unlimited quota, the user's groups) and only the user's budget pays.
   */
  id: number | null;
  userId: number;
  /** Stored status: 1 enabled, 2 disabled (a stored 3 or 4 reads as 1 and is re-derived from the fields, as in effectiveStatus). */
  status: number;
  /** Unix seconds, -1 = never. */
  expiredTime: number;
  unlimitedQuota: boolean;
  /** Set when model limits are enabled (possibly empty = nothing allowed). */
  modelLimits?: Set<string>;
  /** Undefined = any address. */
  allowIps?: IpRule[];
  /** Groups in priority order (`group` list, else `selected_groups`, else `default`). */
  groups: string[];
  /** The token's own rate limits. */
  rateLimits: RateLimits;
  /**
   * Set when the key presented is the one a rotation replaced: unix seconds after which it stops
   * working (the grace period's end).
   */
  keyExpiresAt?: number;
  owner: PolicyOwner;
}

/** What the token rules need of the owner. */
export interface PolicyOwner {
  state: OwnerState;
  /** False when the owner's budget is unlimited (`users.quota` NULL). */
  quotaLimited: boolean;
  /** Groups the owner may use; undefined = any (admins and root). */
  groups?: Set<string>;
  /** The owner's rate limits (every request of its tokens counts against them). */
  rateLimits: RateLimits;
}

/** Why a token may not relay a request, in the order the checks run. */
export type TokenRefusal = 'unknown' | 'owner_deleted' | 'owner_disabled' | 'disabled' | 'expired' | 'ip_not_allowed' | 'group_not_allowed';

/** The owner's state from its row: deleted wins over disabled (users.status other than 1). */
export function ownerState(owner: { isDelete: boolean; status: number } | null | undefined): OwnerState {
  if (!owner || owner.isDelete) return 'deleted';
  return Number(owner.status) === 1 ? 'active' : 'disabled';
}

/**
 * The one rule of whether a token may be used right now (`nowSeconds`: unix seconds), shared by the
 * relay and `GET /api/usage/token` (which passes no `ip`): unknown (or a rotated key past its grace), owner deleted or disabled,
 * disabled (2), expired (3, by {@link isExpired}: `expired_time` before now), client IP not in
 * `allow_ips`, a group its owner may not use. Exhaustion is the quota ledger's to decide.
 * @returns the first refusal, or undefined when the token may be used
 */
export function tokenRefusal(token: PolicyToken | null | undefined, nowSeconds: number, ip?: string): TokenRefusal | undefined {
  if (!token || (token.keyExpiresAt !== undefined && nowSeconds > token.keyExpiresAt)) return 'unknown';
  if (token.owner.state === 'deleted') return 'owner_deleted';
  if (token.owner.state === 'disabled') return 'owner_disabled';
  if (token.status === TokenStatus.Disabled) return 'disabled';
  if (isExpired(token, nowSeconds)) return 'expired';
  if (ip !== undefined && !ipAllowed(ip, token.allowIps)) return 'ip_not_allowed';
  if (token.groups.some((g) => !groupAllowed(token.owner, g))) return 'group_not_allowed';
  return undefined;
}

/** True when the owner may use `group` (any group when its groups are undefined). */
export function groupAllowed(owner: Pick<PolicyOwner, 'groups'>, group: string): boolean {
  return !owner.groups || owner.groups.has(group);
}

/** True when model limits are off or list `model`. */
export function modelAllowed(token: Pick<PolicyToken, 'modelLimits'>, model: string): boolean {
  return !token.modelLimits || token.modelLimits.has(model);
}

/** Newline/comma-separated IPs and CIDRs → rules; unparsable entries are skipped. Empty → undefined (any). */
export function parseAllowIps(raw: string): IpRule[] | undefined {
  const rules: IpRule[] = [];
  for (const entry of raw.split(/[\n,;\s]+/).map((s) => s.trim()).filter(Boolean)) {
    try {
      if (entry.includes('/')) {
        const [addr, bits] = ipaddr.parseCIDR(entry);
        rules.push([normalizeAddress(addr), addr.kind() === 'ipv6' && normalizeAddress(addr).kind() === 'ipv4' ? bits - 96 : bits]);
      } else {
        const addr = normalizeAddress(ipaddr.parse(entry));
        rules.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
      }
    } catch {
      // an invalid entry allows nothing
    }
  }
  return raw.trim() ? rules : undefined;
}

function normalizeAddress(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** True when `ip` (IPv4, IPv6 or IPv4-mapped IPv6) matches a rule; true for any `ip` when `rules` is undefined. */
export function ipAllowed(ip: string, rules: IpRule[] | undefined): boolean {
  if (!rules) return true;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = normalizeAddress(ipaddr.parse(ip));
  } catch {
    return false;
  }
  return rules.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range as never, bits));
}

/** `group` (comma list, order = priority), else `selected_groups` (JSON array), else `['default']`. */
export function tokenGroups(group: string, selectedGroups: string): string[] {
  const fromGroup = group.split(',').map((g) => g.trim()).filter(Boolean);
  if (fromGroup.length) return fromGroup;
  try {
    const parsed = JSON.parse(selectedGroups || '[]');
    if (Array.isArray(parsed)) {
      const list = parsed.filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim());
      if (list.length) return list;
    }
  } catch {
    // fall through
  }
  return ['default'];
}

/**
 * The policy view of a user's own access token on the relay (see {@link PolicyToken.id}): routed
 * through the groups the user may use, in their stored order.
 */
export function userAccessPolicy(userId: number, owner: PolicyOwner, groups: string, keyExpiresAt?: number): PolicyToken {
  const list = groups.split(',').map((g) => g.trim()).filter(Boolean);
  const none = { rpm: null, tpm: null, parallel: null };
  return { id: null, userId, status: 1, expiredTime: -1, unlimitedQuota: true, groups: list.length ? list : ['default'], rateLimits: none, keyExpiresAt, owner };
}

/** A user's `groups` column (comma list) as the set it may use; undefined (any) for admins and root (role >= 10). */
export function ownerGroups(groups: string, role: number): Set<string> | undefined {
  if (role >= 10) return undefined;
  return new Set(groups.split(',').map((g) => g.trim()).filter(Boolean));
}
