import * as ipaddr from 'ipaddr.js';

/** A parsed `allow_ips` entry: one address or a CIDR range. */
export type IpRule = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * An API token as the relay checks it, parsed once and cached by key hash: the policy fields of
 * `tokens` (seed 000) and whether its owner is deleted. Quota is never read from here; the
 * atomic reserve is the authority.
 */
export interface RelayToken {
  id: number;
  userId: number;
  /** 1 enabled, 2 disabled. */
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
  ownerDeleted: boolean;
  /** The owner's account is disabled (users.status 2). */
  ownerDisabled?: boolean;
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
