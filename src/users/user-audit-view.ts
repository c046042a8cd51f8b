import type { AuditView } from '../audit/audit-changes';
import type { UserEntity } from './entities/user.entity';

/**
 * The fields of a user the audit log compares (names as `PATCH /1/users/:id` takes them): name, role, status,
 * budget (`quota` as stored, without leases), groups, rate limits and reset policy, the access token (its
 * hash, masked to `***` by the audit log) and the deletion flag.
 */
export function userAuditView(user: UserEntity): AuditView {
  const p = user.policy;
  return {
    name: user.name,
    role: user.role,
    status: user.status,
    quota: user.quota ?? null,
    groups: (user.groups ?? 'default').split(',').filter(Boolean),
    rpm_limit: p?.rpmLimit ?? null,
    tpm_limit: p?.tpmLimit ?? null,
    max_parallel_requests: p?.maxParallelRequests ?? null,
    quota_reset_period: p?.quotaResetPeriod ?? 'never',
    quota_reset_amount: p?.quotaResetAmount ?? null,
    quota_reset_tz: p?.quotaResetTz ?? '+00:00',
    token: user.tokenHash,
    previous_token_expires_at: user.previousTokenExpiresAt ?? null,
    is_delete: user.isDelete,
  };
}
