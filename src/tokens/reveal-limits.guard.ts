import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import type { Principal } from '../common/auth/principal';
import { LimitsGuard } from '../common/throttle/limits.guard';

/** Reveals per user per minute: `POST /api/token/:id/key` and `POST /api/token/batch/keys` together. */
export const REVEAL_LIMIT = { limit: 10, ttl: 60_000 } as const;

/**
 * The reveal budget: one named limit over both reveal routes (a batch of up to 100 ids counts as
 * one, as new-api's `CriticalRateLimit` counts requests), keyed by the authenticated user (set by
 * the global AuthGuard, which runs first) rather than the address, so one user behind a shared
 * address cannot use up another's budget.
 */
export const REVEAL_LIMITS: ThrottlerOptions[] = [
  {
    name: 'token-reveal',
    ...REVEAL_LIMIT,
    getTracker: (req: Record<string, any>) => `user:${String((req.principal as Principal | undefined)?.userId ?? '')}`,
  },
];

/**
 * Guards the reveal routes with {@link REVEAL_LIMITS}; with `REDIS_URL` the count is shared by every
 * instance. Over the limit: 429 with `Retry-After`, in the `/api` envelope.
 */
@Injectable()
export class RevealLimitsGuard extends LimitsGuard {
  constructor(@InjectThrottlerOptions() options: ThrottlerModuleOptions, @InjectThrottlerStorage() storage: ThrottlerStorage, reflector: Reflector) {
    super(REVEAL_LIMITS, options, storage, reflector);
  }
}
