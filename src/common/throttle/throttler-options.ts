import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerLimitDetail, ThrottlerModuleOptions } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { deploymentScope } from '../cache/deployment-scope';
import type { InvalidationBus } from '../cache/invalidation-bus';

/** The one wording of a refusal (429, in the route family's envelope): `ttl` in ms, the wait in s. */
export function limitExceededMessage(detail: Pick<ThrottlerLimitDetail, 'limit' | 'ttl' | 'timeToBlockExpire'>): string {
  return `too many requests: at most ${detail.limit} per ${Math.round(detail.ttl / 1000)} s; retry in ${detail.timeToBlockExpire} s`;
}

/**
 * `@nestjs/throttler` module options: the `default` limit (600 a minute; routes opt in with
 * `@UseGuards(…)` and may override it with `@Throttle`), counters in Redis through
 * `@nest-lab/throttler-storage-redis` on the shared connection when `REDIS_URL` is set (every
 * instance counts against the same limit; a Redis error refuses the request, never lets it
 * through), else in this process's memory. A `default` count is per route; a named limit (see
 * LimitsGuard) is one budget over every route it guards (`GET` and `POST /sso/:name` alike).
 * Keys hold a SHA-256 of route or limit name and tracker, never a name or address in clear,
 * under `tollgate:throttle:<database scope>:`.
 */
export function buildThrottlerOptions(bus: InvalidationBus, databaseUrl: string | undefined): ThrottlerModuleOptions {
  const scope = deploymentScope(databaseUrl);
  const generateKey = (context: ExecutionContext, tracker: string, name: string) => {
    const counter = name === 'default' ? `${context.getClass().name}-${context.getHandler().name}-${name}` : name;
    return `tollgate:throttle:${scope}:${createHash('sha256').update(`${counter}-${tracker}`).digest('hex')}`;
  };
  return {
    throttlers: [{ name: 'default', ttl: 60_000, limit: 600 }],
    storage: bus.redis ? new ThrottlerStorageRedisService(bus.redis) : undefined,
    generateKey,
    errorMessage: (_context: ExecutionContext, detail: ThrottlerLimitDetail) => limitExceededMessage(detail),
  };
}
