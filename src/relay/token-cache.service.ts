import { Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { CryptoService } from '../common/crypto/crypto.service';
import { EnvironmentVariables } from '../config/env.validation';
import { TokenEntity } from '../tokens/entities/token.entity';
import { UserEntity } from '../users/entities/user.entity';
import { ownerGroups, ownerState, parseAllowIps, PolicyOwner, PolicyToken, tokenGroups, userAccessPolicy } from '../tokens/token-policy';
import { keyFromPresented } from '../tokens/token-fields';
import { rateLimitsOf } from '../metering/rate-limits.service';

interface Entry {
  token: PolicyToken | null;
  expiresAt: number;
}

const MAX_ENTRIES = 100_000;
const NEGATIVE_TTL_MS = 5_000;

/**
 * The relay's callers by credential hash, in memory, with what the token rules need of their
 * owners: API tokens (one indexed lookup, plus the owner's row, on a miss; none on a hit) and
 * users' own access tokens (one indexed lookup). Entries drop on every `token` or `user` invalidation (local or through
 * Redis), and after `RELAY_TOKEN_CACHE_TTL_MS`; unknown hashes are remembered for 5 s.
 * Entries are keyed by SHA-256 of the key (one native call, no HMAC object per request); the
 * database is searched by the key's HMAC as stored. Neither keeps the clear key.
 */
@Injectable()
export class TokenCache {
  private readonly byHash = new Map<string, Entry>();
  private generation = 0;
  private readonly ttlMs: number;

  constructor(
    @InjectRepository(TokenEntity) private readonly tokens: Repository<TokenEntity>,
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly crypto: CryptoService,
    bus: InvalidationBus,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.ttlMs = config.get('RELAY_TOKEN_CACHE_TTL_MS', { infer: true });
    bus.subscribe((event) => {
      if (event.topic === 'token') this.drop((t) => event.id === undefined || t === null || t.id === Number(event.id));
      else if (event.topic === 'user') this.drop((t) => event.id === undefined || (t !== null && t.userId === Number(event.id)));
    });
  }

  /**
   * The cached answer for `credential` (see {@link relayCredential}) without waiting: the token,
   * `null` for one known to be unknown, or `undefined` when the cache has no fresh entry
   * ({@link lookup} then).
   */
  peek(credential: string): PolicyToken | null | undefined {
    const hit = this.byHash.get(cacheKey(credential));
    return hit && hit.expiresAt > Date.now() ? hit.token : undefined;
  }

  /**
   * The policy token of `credential` (see {@link relayCredential}): an API token, or a user's own
   * access token; null when unknown. Never logs or keeps the clear credential (entries are keyed
   * by a hash of it).
   */
  async lookup(credential: string): Promise<PolicyToken | null> {
    const id = cacheKey(credential);
    const now = Date.now();
    const hit = this.byHash.get(id);
    if (hit && hit.expiresAt > now) return hit.token;
    const generation = this.generation;
    const token = credential.startsWith(USER_TOKEN_PREFIX) ? await this.loadUser(credential.slice(USER_TOKEN_PREFIX.length)) : await this.load(this.crypto.hash(credential));
    if (generation === this.generation) {
      if (this.byHash.size >= MAX_ENTRIES) this.byHash.clear();
      this.byHash.set(id, { token, expiresAt: now + (token ? this.ttlMs : Math.min(this.ttlMs, NEGATIVE_TTL_MS)) });
    }
    return token;
  }

  private drop(match: (t: PolicyToken | null) => boolean): void {
    this.generation++;
    for (const [hash, entry] of this.byHash) if (match(entry.token)) this.byHash.delete(hash);
  }

  /**
   * The token whose key hashes to `hash`: its current key, or the key its last rotation replaced
   * (then with `keyExpiresAt`, the grace period's end).
   */
  private async load(hash: string): Promise<PolicyToken | null> {
    let keyExpiresAt: number | undefined;
    let row = await this.tokens.findOne({ where: { keyHash: hash } });
    if (!row || !this.crypto.hashesEqual(row.keyHash, hash)) {
      row = await this.tokens.findOne({ where: { previousKeyHash: hash } });
      if (!row?.previousKeyHash || !this.crypto.hashesEqual(row.previousKeyHash, hash)) return null;
      keyExpiresAt = row.previousKeyExpiresAt ?? 0;
    }
    const owner = await this.users.findOne({ where: { id: row.userId }, select: OWNER_COLUMNS });
    return {
      id: row.id,
      userId: row.userId,
      status: row.status,
      expiredTime: row.expiredTime,
      unlimitedQuota: !!row.unlimitedQuota,
      modelLimits: row.modelLimitsEnabled ? new Set(row.modelLimits.split(',').map((m) => m.trim()).filter(Boolean)) : undefined,
      allowIps: parseAllowIps(row.allowIps ?? ''),
      groups: tokenGroups(row.group ?? '', row.selectedGroups ?? ''),
      rateLimits: rateLimitsOf(row.policy),
      keyExpiresAt,
      owner: policyOwner(owner),
    };
  }

  /**
   * A user's own access token (a UUID, stored as its HMAC): the user as the relay's caller (the
   * token a reset replaced too, until its grace period ends); null when unknown, deleted or disabled.
   */
  private async loadUser(token: string): Promise<PolicyToken | null> {
    const hash = this.crypto.hash(token);
    let keyExpiresAt: number | undefined;
    let user = await this.users.findOne({ where: { tokenHash: hash }, select: { ...OWNER_COLUMNS, tokenHash: true } });
    if (!user?.tokenHash || !this.crypto.hashesEqual(user.tokenHash, hash)) {
      user = await this.users.findOne({ where: { previousTokenHash: hash }, select: { ...OWNER_COLUMNS, previousTokenHash: true, previousTokenExpiresAt: true } });
      if (!user?.previousTokenHash || !this.crypto.hashesEqual(user.previousTokenHash, hash)) return null;
      keyExpiresAt = user.previousTokenExpiresAt ?? 0;
    }
    if (ownerState(user) !== 'active') return null;
    return userAccessPolicy(user.id, policyOwner(user), user.groups ?? 'default', keyExpiresAt);
  }
}

/** The cache's key for a credential: its SHA-256, base64. */
function cacheKey(clear: string): string {
  return hash('sha256', clear, 'base64');
}

/** The user columns the token rules read. */
const OWNER_COLUMNS = { id: true, isDelete: true, status: true, quota: true, groups: true, role: true, policy: { rpmLimit: true, tpmLimit: true, maxParallelRequests: true } } as const;

/** What the token rules need of an owner's row (none: deleted). */
function policyOwner(owner: Pick<UserEntity, 'isDelete' | 'status' | 'quota' | 'groups' | 'role' | 'policy'> | null): PolicyOwner {
  return {
    state: ownerState(owner),
    quotaLimited: owner?.quota !== null && owner?.quota !== undefined,
    groups: owner ? ownerGroups(owner.groups ?? 'default', owner.role) : new Set(),
    rateLimits: rateLimitsOf(owner?.policy),
  };
}

const USER_TOKEN_PREFIX = 'user:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The relay's credential of a presented bearer value: an API token's 48-character key (with or
 * without `sk-`, see keyFromPresented), or `user:<uuid>` for a user's own access token (seed 003:
 * opencatd's users call the relay with it). Session tokens (`tgs_…`) and anything else: undefined.
 */
export function relayCredential(presented: string): string | undefined {
  const value = presented.trim();
  if (UUID.test(value)) return USER_TOKEN_PREFIX + value.toLowerCase();
  return keyFromPresented(value);
}
