import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import { LimitsGuard } from '../common/throttle/limits.guard';

/** SSO login attempts (`GET/POST /sso/:name`) per client address and minute. */
export const SSO_LOGINS_PER_MINUTE = 60;

/** The SSO login's limit: per client address (a JWT names its user only once verified). */
export const SSO_LOGIN_LIMITS: ThrottlerOptions[] = [{ name: 'sso-login-ip', limit: SSO_LOGINS_PER_MINUTE, ttl: 60_000 }];

/**
 * Guards the SSO login routes with {@link SSO_LOGIN_LIMITS}; with `REDIS_URL` the counts are
 * shared by every instance. 429 with `Retry-After`, errors `{success:false, msg, code}` (seed 004).
 */
@Injectable()
export class SsoLoginLimitsGuard extends LimitsGuard {
  constructor(@InjectThrottlerOptions() options: ThrottlerModuleOptions, @InjectThrottlerStorage() storage: ThrottlerStorage, reflector: Reflector) {
    super(SSO_LOGIN_LIMITS, options, storage, reflector);
  }
}
