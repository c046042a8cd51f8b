import { BadRequestException } from '@nestjs/common';
import { formatUtcOffset, utcOffsetMinutes } from '../common/utc-offset';
import type { PolicyFieldsDto } from './dto/policy-fields.dto';
import type { PolicyViewDto } from './dto/policy-view.dto';
import type { PolicyColumns } from './entities/policy-columns';
import { nextResetAt } from './reset-period';


/** The policy columns of a new token or user. */
export function defaultPolicy(): PolicyColumns {
  return { rpmLimit: null, tpmLimit: null, maxParallelRequests: null, quotaResetPeriod: 'never', quotaResetAmount: null, quotaResetTz: '+00:00', nextResetAt: null };
}

/**
 * The policy columns that `dto` changes on `current`, at `nowSeconds` (unix seconds): limits as
 * given (null = none), the reset period, amount and offset (normalised to `+08:00`), and
 * `next_reset_at` worked out again whenever the period or the offset changes.
 * @returns the changed columns, or undefined when `dto` names none
 * @throws BadRequestException (400) a reset period other than `never` without `quota_reset_amount`
 */
export function policyChanges(current: PolicyColumns, dto: PolicyFieldsDto, nowSeconds: number): Partial<PolicyColumns> | undefined {
  const changes: Partial<PolicyColumns> = {};
  if (dto.rpm_limit !== undefined) changes.rpmLimit = dto.rpm_limit;
  if (dto.tpm_limit !== undefined) changes.tpmLimit = dto.tpm_limit;
  if (dto.max_parallel_requests !== undefined) changes.maxParallelRequests = dto.max_parallel_requests;
  if (dto.quota_reset_amount !== undefined) changes.quotaResetAmount = dto.quota_reset_amount;
  if (dto.quota_reset_tz !== undefined) changes.quotaResetTz = formatUtcOffset(utcOffsetMinutes(dto.quota_reset_tz)!);
  if (dto.quota_reset_period !== undefined) changes.quotaResetPeriod = dto.quota_reset_period;
  if (Object.keys(changes).length === 0) return undefined;
  const next = { ...current, ...changes };
  if (next.quotaResetPeriod !== 'never' && (next.quotaResetAmount === null || next.quotaResetAmount === undefined)) {
    throw new BadRequestException(`quota_reset_amount is required when quota_reset_period is ${next.quotaResetPeriod}`);
  }
  if (changes.quotaResetPeriod !== undefined || changes.quotaResetTz !== undefined) {
    changes.nextResetAt = nextResetAt(next.quotaResetPeriod, utcOffsetMinutes(next.quotaResetTz) ?? 0, nowSeconds);
  }
  return changes;
}

/**
 * The API view of policy columns; `previousKeyExpiresAt` (unix seconds) is when the key (or access
 * token) replaced by the last rotation stops working, shown while it still works.
 */
export function policyView(policy: PolicyColumns | undefined, previousKeyExpiresAt: number | null | undefined, nowSeconds: number): PolicyViewDto {
  const p = policy ?? defaultPolicy();
  return {
    rpm_limit: p.rpmLimit ?? null,
    tpm_limit: p.tpmLimit ?? null,
    max_parallel_requests: p.maxParallelRequests ?? null,
    quota_reset_period: p.quotaResetPeriod ?? 'never',
    quota_reset_amount: p.quotaResetAmount ?? null,
    quota_reset_tz: p.quotaResetTz ?? '+00:00',
    next_reset_at: p.nextResetAt ?? null,
    previous_key_expires_at: previousKeyExpiresAt !== null && previousKeyExpiresAt !== undefined && previousKeyExpiresAt > nowSeconds ? previousKeyExpiresAt : null,
  };
}
