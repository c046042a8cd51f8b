import { CodedHttpException } from '../common/http/http-error';
import { assertModelAllowed, assertTokenUsable } from './relay-policy';
import { parseAllowIps, RelayToken, tokenGroups } from './relay-token';

const base: RelayToken = { id: 1, userId: 2, status: 1, expiredTime: -1, unlimitedQuota: false, groups: ['default'], ownerDeleted: false };

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
  it('refuses unknown, owner-deleted, disabled and expired tokens with 401 and distinct codes', () => {
    expect(refusal(() => assertTokenUsable(null, '1.2.3.4', 100))).toEqual({ status: 401, code: 'invalid_api_key' });
    expect(refusal(() => assertTokenUsable({ ...base, ownerDeleted: true }, '1.2.3.4', 100))).toEqual({ status: 401, code: 'user_deleted' });
    expect(refusal(() => assertTokenUsable({ ...base, status: 2 }, '1.2.3.4', 100))).toEqual({ status: 401, code: 'token_disabled' });
    expect(refusal(() => assertTokenUsable({ ...base, expiredTime: 100 }, '1.2.3.4', 100))).toEqual({ status: 401, code: 'token_expired' });
    expect(refusal(() => assertTokenUsable({ ...base, expiredTime: 101 }, '1.2.3.4', 100))).toBeUndefined();
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
