import { Column } from 'typeorm';
import { bigintNumber } from '../../database/column-transformers';

/** How often a balance is reset to its `quota_reset_amount`. */
export const RESET_PERIODS = ['never', 'daily', 'weekly', 'monthly'] as const;
export type ResetPeriod = (typeof RESET_PERIODS)[number];

/**
 * The policy columns tokens and users share (embedded in both, no prefix): rate limits (null = no
 * limit) and a periodic reset of the balance. `next_reset_at` is unix seconds, null when the
 * period is `never`; `quota_reset_tz` is the UTC offset (`+08:00`) whose midnight starts a period.
 */
export class PolicyColumns {
  /** Requests per minute. */
  @Column({ name: 'rpm_limit', type: 'integer', nullable: true })
  rpmLimit: number | null;

  /** Tokens (prompt + completion) per minute. */
  @Column({ name: 'tpm_limit', type: 'integer', nullable: true })
  tpmLimit: number | null;

  /** Requests in flight at once. */
  @Column({ name: 'max_parallel_requests', type: 'integer', nullable: true })
  maxParallelRequests: number | null;

  @Column({ name: 'quota_reset_period', type: 'varchar', length: 8, default: 'never' })
  quotaResetPeriod: ResetPeriod;

  /** Quota units the balance becomes at each reset. */
  @Column({ name: 'quota_reset_amount', type: 'bigint', nullable: true, transformer: bigintNumber })
  quotaResetAmount: number | null;

  @Column({ name: 'quota_reset_tz', type: 'varchar', length: 6, default: '+00:00' })
  quotaResetTz: string;

  /** Unix seconds of the next reset; null = none. */
  @Column({ name: 'next_reset_at', type: 'bigint', nullable: true, transformer: bigintNumber })
  nextResetAt: number | null;
}
