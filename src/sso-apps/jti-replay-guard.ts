import { Injectable, Logger } from '@nestjs/common';
import { InvalidationBus } from '../common/cache/invalidation-bus';

/** Largest number of remembered token ids in memory; expired ones are swept first. */
export const MEMORY_REPLAY_CAPACITY = 200_000;

/**
 * Remembers in memory which one-time ids were used, each until its expiry (ms since epoch).
 * For a single instance; {@link JtiReplayGuard} uses Redis instead when `REDIS_URL` is set.
 */
export class MemoryReplayStore {
  private readonly seen = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly capacity = MEMORY_REPLAY_CAPACITY) {}

  /** True the first time `key` is seen within `ttlMs`; false for a replay (or when full of live ids). */
  claim(key: string, ttlMs: number, now = Date.now()): boolean {
    if (now >= this.nextSweep || this.seen.size >= this.capacity) this.sweep(now);
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.capacity) return false;
    this.seen.set(key, now + ttlMs);
    return true;
  }

  /** Number of remembered ids (for tests). */
  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
    this.nextSweep = now + 30_000;
  }
}

/**
 * One-time use of SSO tokens (issue 6): a token id is claimed once within its lifetime.
 * With `REDIS_URL`, `SET key 1 NX PX ttl` on the shared Redis, so every instance agrees;
 * otherwise in memory. Keys hold a SHA-256 of the id, never the token.
 */
@Injectable()
export class JtiReplayGuard {
  private readonly memory = new MemoryReplayStore();
  private readonly logger = new Logger('JtiReplayGuard');

  constructor(private readonly bus: InvalidationBus) {}

  /**
   * True when `key` was not used before (it is now); false for a replay.
   * @throws Error when Redis is configured but does not answer: the login fails closed (500), never open.
   */
  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const ttlMs = Math.max(1000, Math.ceil(ttlSeconds * 1000));
    const redis = this.bus.redis;
    if (!redis) return this.memory.claim(key, ttlMs);
    try {
      const result = await redis.set(`tollgate:sso:jti:${key}`, '1', 'PX', ttlMs, 'NX');
      return result === 'OK';
    } catch (error) {
      this.logger.warn(`redis replay guard unavailable: ${(error as Error).message}`);
      throw error;
    }
  }
}
