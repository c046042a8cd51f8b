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
import { ownerGroups, ownerState, parseAllowIps, PolicyToken, tokenGroups } from '../tokens/token-policy';

interface Entry {
  token: PolicyToken | null;
  expiresAt: number;
}

const MAX_ENTRIES = 100_000;
const NEGATIVE_TTL_MS = 5_000;

/**
 * API tokens by key hash, in memory, with what the token rules need of their owners: one indexed
 * lookup (plus the owner's row) on a miss, none on a hit. Entries drop on every `token` or `user` invalidation (local or through
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
   * The cached answer for `key` (the 48 characters, see keyFromPresented) without waiting: the
   * token, `null` for a key known to be unknown, or `undefined` when the cache has no fresh entry
   * ({@link lookup} then).
   */
  peek(key: string): PolicyToken | null | undefined {
    const hit = this.byHash.get(cacheKey(key));
    return hit && hit.expiresAt > Date.now() ? hit.token : undefined;
  }

  /**
   * The token whose key (the 48 characters, see keyFromPresented) is `key`, or null when unknown.
   * Never logs or keeps the clear key (entries are keyed by a hash of it).
   */
  async lookup(key: string): Promise<PolicyToken | null> {
    const clear = key;
    const id = cacheKey(clear);
    const now = Date.now();
    const hit = this.byHash.get(id);
    if (hit && hit.expiresAt > now) return hit.token;
    const generation = this.generation;
    const token = await this.load(this.crypto.hash(clear));
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

  private async load(hash: string): Promise<PolicyToken | null> {
    const row = await this.tokens.findOne({ where: { keyHash: hash } });
    if (!row || !this.crypto.hashesEqual(row.keyHash, hash)) return null;
    const owner = await this.users.findOne({ where: { id: row.userId }, select: { id: true, isDelete: true, status: true, quota: true, groups: true, role: true } });
    return {
      id: row.id,
      userId: row.userId,
      status: row.status,
      expiredTime: row.expiredTime,
      unlimitedQuota: !!row.unlimitedQuota,
      modelLimits: row.modelLimitsEnabled ? new Set(row.modelLimits.split(',').map((m) => m.trim()).filter(Boolean)) : undefined,
      allowIps: parseAllowIps(row.allowIps ?? ''),
      groups: tokenGroups(row.group ?? '', row.selectedGroups ?? ''),
      owner: {
        state: ownerState(owner),
        quotaLimited: owner?.quota !== null && owner?.quota !== undefined,
        groups: owner ? ownerGroups(owner.groups ?? 'default', owner.role) : new Set(),
      },
    };
  }
}

/** The cache's key for a clear token key: its SHA-256, base64. */
function cacheKey(clear: string): string {
  return hash('sha256', clear, 'base64');
}
