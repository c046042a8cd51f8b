import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { DataSource, LessThanOrEqual, Repository } from 'typeorm';
import { PeriodicTask } from '../common/scheduling/periodic-task';
import { deleteInBatches } from '../database/batched-delete';
import { isUniqueViolation } from '../database/unique-violation';
import { SsoReplayClaimEntity } from './entities/sso-replay-claim.entity';

/** Expired claim rows deleted per statement, so a purge never holds long locks. */
export const REPLAY_PURGE_BATCH_SIZE = 1000;

/** How often expired claim rows are purged, in milliseconds. */
export const REPLAY_PURGE_INTERVAL_MS = 60_000;

/**
 * One-time use of SSO tokens: a key (a SHA-256 hex of the app and the token's id, never the
 * token) is claimed once until it expires, and every instance sharing the store agrees.
 * Picked once at start by {@link createJtiReplayGuard}: Redis when `REDIS_URL` is set, else the database.
 */
export abstract class JtiReplayGuard {
  /**
   * True when `key` was not claimed before (it is now, for `ttlSeconds`, at least 1 s); false for a replay.
   * @throws Error when the store does not answer: the login fails closed (500), never open.
   */
  abstract claim(key: string, ttlSeconds: number): Promise<boolean>;
}

/** Milliseconds a claim is kept: `ttlSeconds`, at least one second. */
function ttlMillis(ttlSeconds: number): number {
  return Math.max(1000, Math.ceil(ttlSeconds * 1000));
}

/** Claims in Redis: `SET tollgate:sso:jti:<key> 1 NX PX <ttl>`; Redis expires them. */
export class RedisReplayGuard extends JtiReplayGuard {
  private readonly logger = new Logger('JtiReplayGuard');

  constructor(private readonly redis: Redis) {
    super();
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    try {
      return (await this.redis.set(`tollgate:sso:jti:${key}`, '1', 'PX', ttlMillis(ttlSeconds), 'NX')) === 'OK';
    } catch (error) {
      this.logger.warn(`redis replay guard unavailable: ${(error as Error).message}`);
      throw error;
    }
  }
}

/**
 * Claims in the `sso_replay_claims` table, shared by every instance on the database: a claim is one
 * INSERT that fails on the unique `claim_key` for a replay. A row whose expiry passed but was not
 * purged yet is deleted and the claim tried once more. Expired rows are purged every
 * {@link REPLAY_PURGE_INTERVAL_MS} in batches of {@link REPLAY_PURGE_BATCH_SIZE} (an unref'd timer).
 */
export class DatabaseReplayGuard extends JtiReplayGuard implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('JtiReplayGuard');
  private readonly claims: Repository<SsoReplayClaimEntity>;
  private readonly purge = new PeriodicTask<number>('replay claim purge', this.logger);

  constructor(private readonly dataSource: DataSource) {
    super();
    this.claims = dataSource.getRepository(SsoReplayClaimEntity);
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const now = Date.now();
    const row = { claimKey: key, expiresAt: now + ttlMillis(ttlSeconds) };
    if (await this.insert(row)) return true;
    const stale = await this.claims.delete({ claimKey: key, expiresAt: LessThanOrEqual(now) });
    return (stale.affected ?? 0) > 0 && (await this.insert(row));
  }

  onApplicationBootstrap(): void {
    this.purge.start(REPLAY_PURGE_INTERVAL_MS, () => this.purgeBefore(Date.now()));
  }

  onModuleDestroy(): void {
    this.purge.stop();
  }

  /**
   * Deletes claims expired at `now` (unix ms), batch by batch until none is left; a purge already
   * running is joined rather than doubled. @returns the number of rows deleted.
   */
  purgeExpired(now = Date.now()): Promise<number> {
    return this.purge.runOnce(() => this.purgeBefore(now));
  }

  private async insert(row: Pick<SsoReplayClaimEntity, 'claimKey' | 'expiresAt'>): Promise<boolean> {
    try {
      await this.claims.insert(row);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Integer unix ms: `expires_at <= now` is `expires_at < now + 1`. */
  private purgeBefore(now: number): Promise<number> {
    return deleteInBatches(this.dataSource, 'sso_replay_claims', 'expires_at', Math.floor(now) + 1, REPLAY_PURGE_BATCH_SIZE);
  }
}

/** The one replay guard of the process: Redis when the bus has a Redis connection (`REDIS_URL`), else the database. */
export function createJtiReplayGuard(redis: Redis | undefined, dataSource: DataSource): JtiReplayGuard {
  return redis ? new RedisReplayGuard(redis) : new DatabaseReplayGuard(dataSource);
}
