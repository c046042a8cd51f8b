import { CodedHttpException } from '../common/http/http-error';
import { parseAllowIps, PolicyToken, tokenGroups } from '../tokens/token-policy';
import { assertModelAllowed, assertTokenUsable } from './relay-policy';

const none = { rpm: null, tpm: null, parallel: null };
const owner = { state: 'active' as const, quotaLimited: false, groups: new Set(['default']), rateLimits: none };
const base: PolicyToken = { id: 1, userId: 2, status: 1, expiredTime: -1, unlimitedQuota: false, groups: ['default'], rateLimits: none, owner };

function refusal(fn: () => void): { status: number; code: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    const err = e as CodedHttpException;
    return { status: err.getStatus(), code: err.code };
  }
}

describe('relay policy', () => {
  it('refuses unknown, owner-deleted or disabled, disabled and expired tokens with 401 and distinct codes', () => {
    expect(refusal(() => assertTokenUsable(null, '1.2.3.4', 100))).toEqual({ status: 401, code: 'invalid_api_key' });
    expect(refusal(() => assertTokenUsable({ ...base, owner: { ...owner, state: 'deleted' } }, '1.2.3.4', 100))).toEqual({ status: 401, code: 'user_deleted' });
    expect(refusal(() => assertTokenUsable({ ...base, owner: { ...owner, state: 'disabled' } }, '1.2.3.4', 100))).toEqual({ status: 401, code: 'user_disabled' });
    expect(refusal(() => assertTokenUsable({ ...base, status: 2 }, '1.2.3.4', 100))).toEqual({ status: 401, code: 'token_disabled' });
    expect(refusal(() => assertTokenUsable({ ...base, expiredTime: 99 }, '1.2.3.4', 100))).toEqual({ status: 401, code: 'token_expired' });
  });

  it('one expiry rule (seed 002, as new-api): a token still works in its expired_time second', () => {
    expect(refusal(() => assertTokenUsable({ ...base, expiredTime: 100 }, '1.2.3.4', 100))).toBeUndefined();
    expect(refusal(() => assertTokenUsable({ ...base, expiredTime: 100 }, '1.2.3.4', 101))).toEqual({ status: 401, code: 'token_expired' });
  });

  it('a stored status 3 or 4 (imported from new-api) is read from the fields like 1, not as disabled', () => {
    expect(refusal(() => assertTokenUsable({ ...base, status: 3 }, '1.2.3.4', 100))).toBeUndefined();
    expect(refusal(() => assertTokenUsable({ ...base, status: 4 }, '1.2.3.4', 100))).toBeUndefined();
  });

  it("refuses a token in a group its owner may not use with 403; admins' tokens (any group) pass", () => {
    expect(refusal(() => assertTokenUsable({ ...base, groups: ['vip'] }, '1.2.3.4', 100))).toEqual({ status: 403, code: 'group_not_allowed' });
    expect(refusal(() => assertTokenUsable({ ...base, groups: ['vip'], owner: { ...owner, groups: undefined } }, '1.2.3.4', 100))).toBeUndefined();
  });

  it('allows listed IPs and CIDRs (also IPv4-mapped IPv6) and refuses others with 403', () => {
    const token = { ...base, allowIps: parseAllowIps('10.0.0.0/8\n192.168.1.5\n::1') };
    expect(refusal(() => assertTokenUsable(token, '10.2.3.4', 0))).toBeUndefined();
    expect(refusal(() => assertTokenUsable(token, '::ffff:192.168.1.5', 0))).toBeUndefined();
    expect(refusal(() => assertTokenUsable(token, '::1', 0))).toBeUndefined();
    expect(refusal(() => assertTokenUsable(token, '192.168.1.6', 0))).toEqual({ status: 403, code: 'ip_not_allowed' });
    expect(refusal(() => assertTokenUsable(token, 'garbage', 0))).toEqual({ status: 403, code: 'ip_not_allowed' });
    expect(parseAllowIps('')).toBeUndefined();
  });

  it('refuses models outside enabled model limits; no limits allow any model', () => {
    expect(refusal(() => assertModelAllowed({ ...base, modelLimits: new Set(['gpt-4o']) }, 'gpt-3.5-turbo'))).toEqual({ status: 403, code: 'model_not_allowed' });
    expect(refusal(() => assertModelAllowed({ ...base, modelLimits: new Set(['gpt-4o']) }, 'gpt-4o'))).toBeUndefined();
    expect(refusal(() => assertModelAllowed(base, 'anything'))).toBeUndefined();
  });

  it('groups come from `group`, else selected_groups, else default', () => {
    expect(tokenGroups('vip, default', '["x"]')).toEqual(['vip', 'default']);
    expect(tokenGroups('', '["x","y"]')).toEqual(['x', 'y']);
    expect(tokenGroups('', '[]')).toEqual(['default']);
    expect(tokenGroups('', 'not json')).toEqual(['default']);
  });
});
