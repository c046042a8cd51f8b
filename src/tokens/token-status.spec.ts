import { TokenStatus } from './entities/token.entity';
import { effectiveStatus, enableRefusal, ENABLE_REFUSALS, isExhausted, isExpired, statusChangeOf } from './token-status';

const NOW = 1_763_773_300;
const base = { status: TokenStatus.Enabled, expiredTime: -1, unlimitedQuota: false, remainQuota: 500_000 };

describe('token status rules (seed 002)', () => {
  it('an enabled token that never expires and has quota reads as 1', () => {
    expect(effectiveStatus(base, NOW)).toBe(TokenStatus.Enabled);
  });

  it('a disabled token reads as 2 even when it is also expired and exhausted', () => {
    expect(effectiveStatus({ ...base, status: TokenStatus.Disabled, expiredTime: NOW - 1, remainQuota: 0 }, NOW)).toBe(TokenStatus.Disabled);
  });

  it('expired_time in the past reads as 3; exactly now or in the future does not', () => {
    expect(effectiveStatus({ ...base, expiredTime: NOW - 1 }, NOW)).toBe(TokenStatus.Expired);
    expect(effectiveStatus({ ...base, expiredTime: NOW }, NOW)).toBe(TokenStatus.Enabled);
    expect(effectiveStatus({ ...base, expiredTime: NOW + 60 }, NOW)).toBe(TokenStatus.Enabled);
  });

  it('expired_time -1 never expires', () => {
    expect(isExpired({ expiredTime: -1 }, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('a limited token with 0 (or negative) remain_quota reads as 4; an unlimited one does not', () => {
    expect(effectiveStatus({ ...base, remainQuota: 0 }, NOW)).toBe(TokenStatus.Exhausted);
    expect(effectiveStatus({ ...base, remainQuota: -5 }, NOW)).toBe(TokenStatus.Exhausted);
    expect(effectiveStatus({ ...base, remainQuota: 0, unlimitedQuota: true }, NOW)).toBe(TokenStatus.Enabled);
    expect(isExhausted({ unlimitedQuota: false, remainQuota: 1 })).toBe(false);
  });

  it('expired takes precedence over exhausted', () => {
    expect(effectiveStatus({ ...base, expiredTime: NOW - 1, remainQuota: 0 }, NOW)).toBe(TokenStatus.Expired);
  });

  it('a stored 3 or 4 is re-derived from the fields', () => {
    expect(effectiveStatus({ ...base, status: TokenStatus.Expired }, NOW)).toBe(TokenStatus.Enabled);
    expect(effectiveStatus({ ...base, status: TokenStatus.Exhausted, remainQuota: 0 }, NOW)).toBe(TokenStatus.Exhausted);
  });

  it('enabling is refused with seed 002 messages: expired first, then exhausted', () => {
    expect(enableRefusal({ ...base, expiredTime: NOW - 1, remainQuota: 0 }, NOW)).toBe(ENABLE_REFUSALS.expired);
    expect(enableRefusal({ ...base, remainQuota: 0 }, NOW)).toBe(ENABLE_REFUSALS.exhausted);
    expect(enableRefusal(base, NOW)).toBeUndefined();
    expect(enableRefusal({ ...base, remainQuota: 0, unlimitedQuota: true, expiredTime: NOW + 1 }, NOW)).toBeUndefined();
  });

  it('a full update sending back the status the token reads as now changes no status; status_only always does', () => {
    expect(statusChangeOf(undefined, TokenStatus.Enabled, false)).toBeUndefined();
    expect(statusChangeOf(TokenStatus.Expired, TokenStatus.Expired, false)).toBeUndefined();
    expect(statusChangeOf(TokenStatus.Exhausted, TokenStatus.Exhausted, false)).toBeUndefined();
    expect(statusChangeOf(TokenStatus.Disabled, TokenStatus.Disabled, false)).toBeUndefined();
    expect(statusChangeOf(TokenStatus.Exhausted, TokenStatus.Expired, false)).toBe(TokenStatus.Exhausted);
    expect(statusChangeOf(TokenStatus.Enabled, TokenStatus.Expired, false)).toBe(TokenStatus.Enabled);
    expect(statusChangeOf(TokenStatus.Enabled, TokenStatus.Enabled, true)).toBe(TokenStatus.Enabled);
  });
});
