import { diffViews, isSecretField, MASKED, maskValue } from './audit-changes';

describe('audit changes', () => {
  it('names secrets by the whole word: key, secret, password, token, hashes and ciphertexts', () => {
    for (const name of ['key', 'secret', 'password', 'token', 'access_token', 'accessToken', 'private_key', 'privateKey', 'api_key', 'initpwd', 'token_hash', 'keyCiphertext', 'password_hash']) {
      expect([name, isSecretField(name)]).toEqual([name, true]);
    }
    for (const name of ['key_hint', 'keyHint', 'token_name', 'tokenName', 'name', 'quota', 'max_tokens', 'monkey', 'status']) {
      expect([name, isSecretField(name)]).toEqual([name, false]);
    }
  });

  it('lists only the changed fields, before and after', () => {
    expect(diffViews({ name: 'a', quota: 5, groups: ['default'] }, { name: 'a', quota: 7, groups: ['default'] })).toEqual({ quota: { before: 5, after: 7 } });
    expect(diffViews({ groups: ['default'] }, { groups: ['default', 'vip'] })).toEqual({ groups: { before: ['default'], after: ['default', 'vip'] } });
    expect(diffViews({ name: 'a' }, { name: 'a' })).toEqual({});
  });

  it('a creation lists every set field against null, a deletion every field against null', () => {
    expect(diffViews(null, { name: 'a', quota: null })).toEqual({ name: { before: null, after: 'a' } });
    expect(diffViews({ name: 'a' }, null)).toEqual({ name: { before: 'a', after: null } });
  });

  it('masks a changed secret on both sides after comparing, and keeps an unset one null', () => {
    expect(diffViews({ key: 'h1' }, { key: 'h2' })).toEqual({ key: { before: MASKED, after: MASKED } });
    expect(diffViews({ key: 'h1' }, { key: 'h1' })).toEqual({});
    expect(diffViews({ token: null }, { token: 'uuid' })).toEqual({ token: { before: null, after: MASKED } });
  });

  it('masks secrets nested in objects', () => {
    expect(maskValue('fieldmap', { username: 'sub', secret: 'x' })).toEqual({ username: 'sub', secret: MASKED });
    expect(JSON.stringify(diffViews(null, { settings: { private_key: 'PEM' } }))).not.toContain('PEM');
  });
});
