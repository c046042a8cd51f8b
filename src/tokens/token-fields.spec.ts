import {
  escapeLike,
  firstBadIp,
  isIpOrCidr,
  keyFromPresented,
  maskClearKey,
  maskKey,
  normalizeAllowIps,
  normalizeCommaList,
  parseFieldList,
  parseIdList,
  withoutKeyPrefix,
} from './token-fields';

const KEY = 'abcd0123456789abcdefghijklmnopqrstuvwxyzABCDwxyz';

describe('token field rules', () => {
  it('masks the 48-character key as first 4 + 10 stars + last 4, without sk-', () => {
    expect(KEY).toHaveLength(48);
    expect(maskClearKey(KEY)).toBe('abcd**********wxyz');
    expect(maskKey(KEY.slice(0, 8), KEY.slice(-4))).toBe('abcd**********wxyz');
  });

  it('reads a presented key with or without sk-, dropping a -channel suffix; refuses other shapes', () => {
    expect(keyFromPresented(`sk-${KEY}`)).toBe(KEY);
    expect(keyFromPresented(KEY)).toBe(KEY);
    expect(keyFromPresented(`sk-${KEY}-12`)).toBe(KEY);
    expect(keyFromPresented('sk-short')).toBeUndefined();
    expect(keyFromPresented(`sk-${KEY.slice(1)}!`)).toBeUndefined();
    expect(keyFromPresented(`sk-sk-${KEY}`)).toBeUndefined(); // new-api strips one sk- too
  });

  it('strips one leading sk- and surrounding spaces from a presented key or fragment', () => {
    expect(withoutKeyPrefix(' sk-abcd ')).toBe('abcd');
    expect(withoutKeyPrefix('abcd')).toBe('abcd');
    expect(withoutKeyPrefix('sk-sk-abcd')).toBe('sk-abcd');
  });

  it('model_limits: a string or an array becomes a trimmed comma list, order kept, repeats dropped', () => {
    expect(normalizeCommaList(['gpt-3.5-turbo', 'gpt-4'])).toBe('gpt-3.5-turbo,gpt-4');
    expect(normalizeCommaList(' gpt-4o, gpt-4o-2024-11-20,,gpt-4o ')).toBe('gpt-4o,gpt-4o-2024-11-20');
    expect(normalizeCommaList('')).toBe('');
    expect(normalizeCommaList([1, 2])).toEqual([1, 2]);
    expect(normalizeCommaList(5)).toBe(5);
  });

  it('allow_ips: newline- or comma-separated becomes newline-separated', () => {
    expect(normalizeAllowIps('192.168.1.1,10.0.0.1')).toBe('192.168.1.1\n10.0.0.1');
    expect(normalizeAllowIps('192.168.1.1\r\n 10.0.0.0/8 \n\n::1')).toBe('192.168.1.1\n10.0.0.0/8\n::1');
    expect(normalizeAllowIps(['1.2.3.4'])).toBe('1.2.3.4');
  });

  it('accepts IPv4, IPv6 and CIDRs; refuses loose IPv4 forms, bad prefixes and names', () => {
    for (const ok of ['192.168.1.1', '10.0.0.0/8', '0.0.0.0/0', '::1', '2001:db8::/32', 'fe80::1/128']) expect(isIpOrCidr(ok)).toBe(true);
    for (const bad of ['999.1.1.1', '10.1', '0x7f.0.0.1', '10.0.0.0/33', '::1/129', 'example.com', '1.2.3.4/', '1.2.3.4/a']) {
      expect(isIpOrCidr(bad)).toBe(false);
    }
    expect(firstBadIp('1.2.3.4\nnot-an-ip\n5.6.7.8')).toBe('not-an-ip');
    expect(firstBadIp('')).toBeUndefined();
  });

  it('ids: an array or "873,869"; anything else is returned as is', () => {
    expect(parseIdList([873, 869])).toEqual([873, 869]);
    expect(parseIdList('873,869')).toEqual([873, 869]);
    expect(parseIdList('873, 869, 873')).toEqual([873, 869]);
    expect(parseIdList('873,x')).toBe('873,x');
    expect(parseIdList([1, -2])).toEqual([1, -2]);
    expect(parseIdList({ a: 1 })).toEqual({ a: 1 });
  });

  it('update_fields: an array, a comma string or an object of names', () => {
    expect(parseFieldList(['group'])).toEqual(['group']);
    expect(parseFieldList('group, remain_quota')).toEqual(['group', 'remain_quota']);
    expect(parseFieldList({ group: 'x', expired_time: 'y' })).toEqual(['group', 'expired_time']);
  });

  it('escapes LIKE wildcards with !', () => {
    expect(escapeLike('50%_off!')).toBe('50!%!_off!!');
  });
});
