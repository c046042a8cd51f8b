import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { deploymentScope } from '../common/cache/deployment-scope';
import { CodedHttpException } from '../common/http/http-error';
import { EnvironmentVariables } from '../config/env.validation';
import type { PolicyColumns } from './entities/policy-columns';
import { Subject, subjectKey } from './subject';

/** A subject's rate limits (LiteLLM's names; null = no limit). */
export interface RateLimits {
  rpm: number | null;
  tpm: number | null;
  parallel: number | null;
}

/** A subject a request counts against, and its limits. */
export interface LimitedSubject {
  subject: Subject;
  limits: RateLimits;
}

/** OpenAI's `x-ratelimit-*` answer headers for one request. */
export type RateHeaders = Record<string, string>;

/** What an admitted request holds against its subjects' limits until it settles. */
export interface RateGrant {
  readonly entries: { key: string; limits: RateLimits }[];
  /** Tokens counted against the TPM limits at admission (the request's hold). */
  readonly tokens: number;
  readonly headers: RateHeaders;
}

/** Seconds a parallel-request count lives without a change (a crashed instance's counts fade then). */
const PARALLEL_WINDOW_SECONDS = 600;

/** The limits of policy columns. */
export function rateLimitsOf(policy: PolicyColumns | undefined): RateLimits {
  return { rpm: policy?.rpmLimit ?? null, tpm: policy?.tpmLimit ?? null, parallel: policy?.maxParallelRequests ?? null };
}

/** True when any limit is set. */
export function hasLimits(limits: RateLimits): boolean {
  return limits.rpm !== null || limits.tpm !== null || limits.parallel !== null;
}

/** OpenAI's duration format of the reset headers: `1s`, `6m0s`, `20ms`. */
export function resetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/**
 * Per token and per user rate limits of the relay's admission: requests per minute, tokens per
 * minute and requests in flight, counted by `rate-limiter-flexible`, in memory on one instance and
 * in Redis (shared by every instance, with a memory fallback should Redis fail) when `REDIS_URL`
 * is set. TPM counts a request's hold at admission and is corrected to the real usage when it
 * settles. A refusal is 429 `rate_limit_exceeded` with OpenAI's `x-ratelimit-*` headers, which an
 * admitted request's answer carries too. Subjects without limits cost nothing (no promise).
 */
@Injectable()
export class RateLimitsService implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly redis?: Redis;
  private readonly scope: string;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    this.scope = deploymentScope(config.get('DATABASE_URL', { infer: true }));
    const url = config.get('REDIS_URL', { infer: true });
    if (url) {
      this.redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000 });
      this.redis.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    }
  }

  /**
   * Counts a request against the limits of `subjects`, with `tokens` (its hold, in tokens) against
   * TPM. Returns at once when no subject has limits.
   * @returns the grant, with the headers its answer carries
   * @throws CodedHttpException 429 `rate_limit_exceeded` (with `headers`) when a limit is reached;
   *   nothing stays counted then
   */
  admit(subjects: LimitedSubject[], tokens: number): RateGrant | Promise<RateGrant> {
    const limited = subjects.filter((s) => hasLimits(s.limits)).map((s) => ({ key: subjectKey(s.subject), limits: s.limits }));
    if (limited.length === 0) return { entries: [], tokens, headers: {} };
    return this.consumeAll(limited, tokens);
  }

  /** An admitted request ended, having used `usedTokens` (prompt + completion): its parallel slot is freed and TPM corrected. */
  settle(grant: RateGrant, usedTokens: number): void {
    for (const { key, limits } of grant.entries) {
      if (limits.parallel !== null) this.quietly(this.limiter('parallel', limits.parallel).reward(key, 1));
      if (limits.tpm !== null && usedTokens !== grant.tokens) {
        const tpm = this.limiter('tpm', limits.tpm);
        this.quietly(usedTokens < grant.tokens ? tpm.reward(key, grant.tokens - usedTokens) : tpm.penalty(key, usedTokens - grant.tokens));
      }
    }
  }

  /** An admitted request was refused before its upstream call: nothing of it counts. */
  release(grant: RateGrant): void {
    this.undo(grant.entries, grant.tokens);
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis?.disconnect();
  }

  private async consumeAll(entries: { key: string; limits: RateLimits }[], tokens: number): Promise<RateGrant> {
    const done: { key: string; limits: RateLimits }[] = [];
    const requests: { limit: number; res: RateLimiterRes }[] = [];
    const tokenRes: { limit: number; res: RateLimiterRes }[] = [];
    try {
      for (const entry of entries) {
        const { key, limits } = entry;
        const counted: RateLimits = { rpm: null, tpm: null, parallel: null };
        done.push({ key, limits: counted });
        if (limits.rpm !== null) {
          requests.push({ limit: limits.rpm, res: await this.limiter('rpm', limits.rpm).consume(key, 1) });
          counted.rpm = limits.rpm;
        }
        if (limits.parallel !== null) {
          await this.limiter('parallel', limits.parallel).consume(key, 1);
          counted.parallel = limits.parallel;
        }
        if (limits.tpm !== null) {
          tokenRes.push({ limit: limits.tpm, res: await this.limiter('tpm', limits.tpm).consume(key, Math.max(1, tokens)) });
          counted.tpm = limits.tpm;
        }
      }
    } catch (error) {
      this.undo(done, tokens);
      if (!(error instanceof RateLimiterRes)) throw error;
      // a refused consume still added its points (the library counts, then compares): take them back too
      const refusedAt = done.length - 1;
      const { key, limits } = entries[refusedAt];
      const counted = done[refusedAt].limits;
      const refused: RateLimits = { rpm: null, tpm: null, parallel: null };
      if (counted.rpm === null && limits.rpm !== null) refused.rpm = limits.rpm;
      else if (counted.parallel === null && limits.parallel !== null) refused.parallel = limits.parallel;
      else refused.tpm = limits.tpm;
      this.undo([{ key, limits: refused }], tokens);
      throw this.refusal(error, counted, limits, tokens);
    }
    return { entries: done, tokens, headers: headersOf(requests, tokenRes) };
  }

  /** Gives back what `entries` counted. */
  private undo(entries: { key: string; limits: RateLimits }[], tokens: number): void {
    for (const { key, limits } of entries) {
      if (limits.rpm !== null) this.quietly(this.limiter('rpm', limits.rpm).reward(key, 1));
      if (limits.parallel !== null) this.quietly(this.limiter('parallel', limits.parallel).reward(key, 1));
      if (limits.tpm !== null) this.quietly(this.limiter('tpm', limits.tpm).reward(key, Math.max(1, tokens)));
    }
  }

  /** The 429 for the limit that refused (the first of the subject's not yet counted). */
  private refusal(res: RateLimiterRes, counted: RateLimits, limits: RateLimits, tokens: number): CodedHttpException {
    const [kind, limit] = counted.rpm === null && limits.rpm !== null ? (['requests per minute', limits.rpm] as const) : counted.parallel === null && limits.parallel !== null ? (['requests at once', limits.parallel] as const) : (['tokens per minute', limits.tpm!] as const);
    const wait = resetDuration(res.msBeforeNext);
    const message =
      kind === 'tokens per minute' && tokens > limit
        ? `Rate limit reached: this request may use up to ${tokens} tokens, more than the limit of ${limit} tokens per minute; lower max_tokens or the prompt.`
        : `Rate limit reached for ${kind}: limit ${limit}; try again in ${wait}.`;
    const error = new CodedHttpException(429, message, 'rate_limit_exceeded');
    const headers: RateHeaders = { 'retry-after': String(Math.max(1, Math.ceil(res.msBeforeNext / 1000))) };
    if (kind === 'tokens per minute') Object.assign(headers, { 'x-ratelimit-limit-tokens': String(limit), 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': wait });
    else Object.assign(headers, { 'x-ratelimit-limit-requests': String(limit), 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': wait });
    error.headers = headers;
    return error;
  }

  /** One limiter per kind and limit (its points), keyed by subject. */
  private limiter(kind: 'rpm' | 'tpm' | 'parallel', points: number): RateLimiterAbstract {
    const id = `${kind}:${points}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const duration = kind === 'parallel' ? PARALLEL_WINDOW_SECONDS : 60;
      const keyPrefix = `tollgate:rl:${this.scope}:${id}`;
      const memory = new RateLimiterMemory({ points, duration, keyPrefix });
      limiter = this.redis ? new RateLimiterRedis({ storeClient: this.redis, points, duration, keyPrefix, insuranceLimiter: memory }) : memory;
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  /** A reward or penalty whose failure (Redis gone) is logged, never thrown. */
  private quietly(update: Promise<unknown>): void {
    update.catch((error: unknown) => this.logger.warn(`rate limit update failed: ${(error as Error)?.message ?? String(error)}`));
  }
}

/** The answer headers: of all the subjects' limits, the one with the least left for requests and for tokens. */
function headersOf(requests: { limit: number; res: RateLimiterRes }[], tokens: { limit: number; res: RateLimiterRes }[]): RateHeaders {
  const headers: RateHeaders = {};
  const tightest = (list: { limit: number; res: RateLimiterRes }[]) => list.reduce((a, b) => (b.res.remainingPoints < a.res.remainingPoints ? b : a));
  if (requests.length > 0) {
    const r = tightest(requests);
    headers['x-ratelimit-limit-requests'] = String(r.limit);
    headers['x-ratelimit-remaining-requests'] = String(r.res.remainingPoints);
    headers['x-ratelimit-reset-requests'] = resetDuration(r.res.msBeforeNext);
  }
  if (tokens.length > 0) {
    const t = tightest(tokens);
    headers['x-ratelimit-limit-tokens'] = String(t.limit);
    headers['x-ratelimit-remaining-tokens'] = String(t.res.remainingPoints);
    headers['x-ratelimit-reset-tokens'] = resetDuration(t.res.msBeforeNext);
  }
  return headers;
}
