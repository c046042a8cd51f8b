import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import { LimitsGuard } from '../common/throttle/limits.guard';
import { LOGIN_ATTEMPTS_PER_ACCOUNT, LOGIN_ATTEMPTS_PER_MINUTE } from './login-limits.guard';

/** `PUT /1/me/password`'s limits, as a login's: per client address, and per account (the caller). */
export const PASSWORD_CHANGE_LIMITS: ThrottlerOptions[] = [
  { name: 'password-change-ip', limit: LOGIN_ATTEMPTS_PER_MINUTE, ttl: 60_000 },
  {
    name: 'password-change-user',
    ...LOGIN_ATTEMPTS_PER_ACCOUNT,
    getTracker: (req: Record<string, any>) => `user:${String((req.principal as { userId?: number } | undefined)?.userId ?? '')}`,
  },
];

/**
 * Guards `PUT /1/me/password` with {@link PASSWORD_CHANGE_LIMITS} (a wrong `old_password` is a
 * password guess): shared by every instance with `REDIS_URL`. 429 with `Retry-After`.
 */
@Injectable()
export class PasswordChangeLimitsGuard extends LimitsGuard {
  constructor(@InjectThrottlerOptions() options: ThrottlerModuleOptions, @InjectThrottlerStorage() storage: ThrottlerStorage, reflector: Reflector) {
    super(PASSWORD_CHANGE_LIMITS, options, storage, reflector);
  }
}
