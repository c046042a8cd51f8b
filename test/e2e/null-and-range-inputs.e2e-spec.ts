import { addKey } from '../support/relay.builder';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const API = '/plugin/datafor-modeler/api/token';

describe.each(testDatabases())('null and out-of-range inputs get a 400 naming the field, never a 500, on %s', (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp(database());
    root = await initRoot(t.http);
    user = await addUser(t.http, root, 'u1');
  });
  afterAll(async () => t?.close());

  it('PATCH /1/users/:id with name null', async () => {
    const res = await t.http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ name: null }).expect(400);
    expect(res.body).toEqual({ message: 'name must not be null' });
  });

  it('PATCH /1/keys/:id with key or name null', async () => {
    const key = await addKey(t.http, root, { key: 'sk-upstream-0000-1111', name: 'k' });
    const res = await t.http.patch(`/1/keys/${key.id}`).set(auth(root.token)).send({ key: null, name: null }).expect(400);
    expect(res.body.message).toBe('key must not be null; name must not be null');
  });

  it('a new SSO app with secret null', async () => {
    const body = { name: 'NullSecret', secret: null, expire: 60, fieldmap: { username: 'u' }, algorithm: 'HS256', enable: '1', inituser: '1', initroles: [] };
    const res = await t.http.post(`${API}/update`).set(auth(root.token)).send(body).expect(400);
    expect(res.body).toEqual({ success: false, msg: 'secret must not be null', code: '400' });
  });

  it('GET /api/token/ with a page number past any page', async () => {
    const res = await t.http.get('/api/token/?p=99999999999999999999').set(auth(user.token, user.id)).expect(400);
    expect(res.body).toEqual({ success: false, message: 'p must be at most 100000' });
  });

  it('GET /api/token/ with a page that is not a number says p must be an integer, not a range', async () => {
    const res = await t.http.get('/api/token/?p=abc').set(auth(user.token, user.id)).expect(400);
    expect(res.body).toEqual({ success: false, message: 'p must be an integer (pages count from 1)' });
    const logs = await t.http.get('/1/usages/logs?p=abc&size=x').set(auth(user.token)).expect(400);
    expect(logs.body).toEqual({ message: 'p must be an integer number; size must be an integer number' });
  });

  it('a missing required field is named by its first check: PUT /1/prices {} says prices must be an array', async () => {
    const missing = await t.http.put('/1/prices').set(auth(root.token)).send({}).expect(400);
    expect(missing.body).toEqual({ message: 'prices must be an array' });
    const empty = await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [] }).expect(400);
    expect(empty.body).toEqual({ message: 'prices must contain at least 1 elements' });
    const noName = await t.http.post('/1/users').set(auth(root.token)).send({}).expect(400);
    expect(noName.body).toEqual({ message: 'name must be a string' });
    const noId = await t.http.put('/api/token/').set(auth(user.token, user.id)).send({ name: 'x' }).expect(400);
    expect(noId.body).toEqual({ success: false, message: 'id must be an integer number' });
  });

  it('mj_custom_proxy is empty or an http(s) URL', async () => {
    const bad = await t.http.post('/api/token/').set(auth(user.token, user.id)).send({ name: 'proxy', mj_custom_proxy: 'ftp://img.example.com' }).expect(400);
    expect(bad.body).toEqual({ success: false, message: 'mj_custom_proxy must be an http(s) URL or empty' });
    await t.http.post('/api/token/').set(auth(user.token, user.id)).send({ name: 'proxy', mj_custom_proxy: '' }).expect(200);
    await t.http.post('/api/token/').set(auth(user.token, user.id)).send({ name: 'proxy2', mj_custom_proxy: 'http://img-proxy:8080/x' }).expect(200);
  });

  it.each(['+1', '1e0', '0', '-1', '99999999999', 'abc', '1.5'])('path id %s is a 400 on users, keys and tokens', async (id) => {
    const users = await t.http.post(`/1/users/${id}/reset`).set(auth(root.token)).expect(400);
    expect(users.body).toEqual({ message: 'id must be a positive integer' });
    await t.http.delete(`/1/keys/${id}`).set(auth(root.token)).expect(400);
    const tokens = await t.http.get(`/api/token/${id}`).set(auth(user.token, user.id)).expect(400);
    expect(tokens.body).toEqual({ success: false, message: 'id must be a positive integer' });
  });

  it('PUT /1/me/password with a lone surrogate in password or old_password is a 400 naming the field, and sets nothing (found by the fuzz)', async () => {
    const member = await addUser(t.http, root, 'surrogates');
    const put = (body: object) => t.http.put('/1/me/password').set(auth(member.token)).send(body);
    expect((await put({ password: '\ud800'.repeat(10) }).expect(400)).body).toEqual({ message: 'password must be well-formed Unicode text (no lone surrogates)' });
    expect((await put({ password: 'fine-password-a\udfff' }).expect(400)).body).toEqual({ message: 'password must be well-formed Unicode text (no lone surrogates)' });
    expect((await put({ old_password: '(}<q/\ud800', password: 'fine-password-1' }).expect(400)).body).toEqual({
      message: 'old_password must be well-formed Unicode text (no lone surrogates)',
    });
    expect((await put({ password: '💸'.repeat(19) }).expect(400)).body).toEqual({ message: 'password must be at most 72 bytes' }); // 76 bytes, pairs count whole
    await put({ password: '💸'.repeat(18) }).expect(200); // 72 bytes: no password was set before, so no old_password is asked
    await t.http.post('/1/login').send({ name: 'surrogates', password: '💸'.repeat(18) }).expect(200);
  });

  it('PUT /1/prices with an array where a price object goes is a 400 naming prices, and changes nothing (found by the fuzz)', async () => {
    const before = (await t.http.get('/1/prices').set(auth(root.token)).expect(200)).body;
    for (const prices of [[[]], [[{ model: 'nested', input: '1', output: '1' }]], ['gpt-4o'], [{ model: 'fine', input: '1', output: '1' }, []]]) {
      const res = await t.http.put('/1/prices').set(auth(root.token)).send({ prices }).expect(400);
      expect(res.body.message).toMatch(/^prices must be an array of \{model, input, output\} objects/);
    }
    expect((await t.http.get('/1/prices').set(auth(root.token)).expect(200)).body).toEqual(before);
  });

  it('unknown fields stay ignored even when null (the seeds carry extras)', async () => {
    await t.http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ name: 'u1-renamed', extra: null }).expect(200);
  });
});
