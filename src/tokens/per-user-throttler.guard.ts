import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Principal } from '../common/auth/principal';

/**
 * {@link ThrottlerGuard} keyed by the authenticated user (set by the global AuthGuard, which runs
 * first) rather than by IP, so one user behind a shared address cannot exhaust another's budget.
 * Falls back to the client IP on a route without a principal. Counts in the module's storage
 * (Redis with `REDIS_URL`, shared by every instance). Over the limit: 429 with `Retry-After`,
 * rendered in the route family's envelope by the exception filter.
 */
@Injectable()
export class PerUserThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const principal = req.principal as Principal | undefined;
    return principal ? `user:${principal.userId}` : `ip:${String(req.ip)}`;
  }
}
