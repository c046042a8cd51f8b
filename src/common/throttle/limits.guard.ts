import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerModuleOptions, ThrottlerOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { Response } from 'express';

/**
 * A {@link ThrottlerGuard} over the named limits a route family declares (`limits`) instead of
 * the module's list, with the module's storage (Redis when configured), key scheme and wording
 * (see buildThrottlerOptions). Limit names are unique in the app: each is one budget over all the
 * routes it guards. Each limit counts every request it sees, keyed by its own tracker
 * (default: the client address, which honours `TRUST_PROXY`). Over a limit: 429 with
 * `Retry-After` (seconds), rendered in the route family's envelope by the exception filter.
 */
export abstract class LimitsGuard extends ThrottlerGuard {
  protected constructor(limits: ThrottlerOptions[], moduleOptions: ThrottlerModuleOptions, storage: ThrottlerStorage, reflector: Reflector) {
    const common = Array.isArray(moduleOptions) ? {} : moduleOptions;
    super({ ...common, throttlers: limits, setHeaders: false }, storage, reflector);
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    return super.throwThrottlingException(context, detail);
  }
}
