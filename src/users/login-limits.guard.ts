import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import { LimitsGuard } from '../common/throttle/limits.guard';

/** Password login attempts per client address and minute. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;
/** Password login attempts per account (the submitted name, see {@link loginAccountKey}) and 15 minutes. */
export const LOGIN_ATTEMPTS_PER_ACCOUNT = { limit: 10, ttl: 15 * 60_000 } as const;

/**
 * The account a login attempt aims at, as the database compares names: trimmed, lower-case,
 * compatibility-decomposed with accents dropped (MariaDB's `utf8mb4_unicode_ci` finds `alice`
 * for ` Alice`, `ALICE` or `Alicé`, so they share one budget). Not a string: `''` (such a body
 * is refused with 400 anyway, after it counted).
 */
export function loginAccountKey(name: unknown): string {
  if (typeof name !== 'string') return '';
  return name.trim().normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** `POST /1/login`'s limits: per client address, and per account however many addresses try it. */
export const LOGIN_LIMITS: ThrottlerOptions[] = [
  { name: 'login-ip', limit: LOGIN_ATTEMPTS_PER_MINUTE, ttl: 60_000 },
  {
    name: 'login-account',
    ...LOGIN_ATTEMPTS_PER_ACCOUNT,
    getTracker: (req: Record<string, any>) => `account:${loginAccountKey((req.body as { name?: unknown } | undefined)?.name)}`,
  },
];

/**
 * Guards `POST /1/login` with {@link LOGIN_LIMITS}: every attempt counts, right or wrong, known
 * name or not (so a 429 tells nothing about whether an account exists). With `REDIS_URL` the
 * counts are shared by every instance. 429 with `Retry-After`, errors `{message}`.
 */
@Injectable()
export class LoginLimitsGuard extends LimitsGuard {
  constructor(@InjectThrottlerOptions() options: ThrottlerModuleOptions, @InjectThrottlerStorage() storage: ThrottlerStorage, reflector: Reflector) {
    super(LOGIN_LIMITS, options, storage, reflector);
  }
}
