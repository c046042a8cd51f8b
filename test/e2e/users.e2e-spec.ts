import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addAdmin, addUser, initRoot, TestUser } from '../support/users.builder';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MASKED = /^[0-9a-f-]{4}\*{4}[0-9a-f-]{4}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe.each(testDatabases())('Users (seed 003) on %s', (_label, database) => {
  let t: TestApp;
  let root: TestUser;

  beforeAll(async () => {
    t = await createTestApp(database());
  });
  afterAll(async () => t?.close());

  it('POST /1/users/init creates root (id 1) with a clear UUID v4 token in the seed shape', async () => {
    const res = await t.http.post('/1/users/init').expect(200);
    // seed 003's fields, then the budget (quota null = unlimited, the default)
    expect(Object.keys(res.body).sort()).toEqual([
      'IsDelete', 'createdAt', 'groups', 'id', 'max_parallel_requests', 'name', 'next_reset_at', 'previous_key_expires_at', 'quota',
      'quota_reset_amount', 'quota_reset_period', 'quota_reset_tz', 'request_count', 'role', 'rpm_limit', 'token', 'tpm_limit', 'updatedAt', 'used_quota',
    ]);
    expect(res.body).toMatchObject({ quota: null, used_quota: 0, request_count: 0, groups: ['default'] });
    expect(res.body).toMatchObject({ id: 1, name: 'root', role: 100, IsDelete: false });
    expect(res.body.token).toMatch(UUID_V4);
    expect(res.body.createdAt).toMatch(ISO);
    root = { id: 1, name: 'root', token: res.body.token };
  });

  it('a second init is 403 and changes nothing', async () => {
    const res = await t.http.post('/1/users/init').expect(403);
    expect(res.body).toEqual({ message: expect.stringContaining('already initialized') });
    const users = await t.http.get('/1/users').set(auth(root.token)).expect(200);
    expect(users.body).toHaveLength(1);
    await t.http.get('/1/me').set(auth(root.token)).expect(200);
  });

  it('GET /1/me returns the caller with the token masked; bare token without Bearer works too', async () => {
    const res = await t.http.get('/1/me').set(auth(root.token)).expect(200);
    expect(res.body).toMatchObject({ id: 1, name: 'root', role: 100 });
    expect(res.body.token).toMatch(MASKED);
    expect(res.body.token.slice(0, 4)).toBe(root.token.slice(0, 4));
    expect(res.body.token.slice(-4)).toBe(root.token.slice(-4));
    const bare = await t.http.get('/1/me').set('Authorization', root.token).expect(200);
    expect(bare.body.id).toBe(1);
  });

  it('401 without a token and with an unknown token, in the {message} envelope', async () => {
    const none = await t.http.get('/1/me').expect(401);
    expect(none.body).toEqual({ message: expect.stringContaining('missing access token') });
    const unknown = await t.http.get('/1/me').set(auth('00000000-0000-4000-8000-000000000000')).expect(401);
    expect(unknown.body).toEqual({ message: expect.stringContaining('invalid') });
  });

  it('POST /1/users adds a user (seed request body) and shows its token once', async () => {
    const res = await t.http.post('/1/users').set(auth(root.token)).send({ name: 'u1' }).expect(200);
    expect(res.body).toMatchObject({ name: 'u1', IsDelete: false, role: 1 });
    expect(res.body.token).toMatch(UUID_V4);
    const me = await t.http.get('/1/me').set(auth(res.body.token)).expect(200);
    expect(me.body.name).toBe('u1');
    expect(me.body.token).toMatch(MASKED);
  });

  it('GET /1/users lists everyone with masked tokens', async () => {
    const res = await t.http.get('/1/users').set(auth(root.token)).expect(200);
    expect(res.body.map((u: { name: string }) => u.name)).toEqual(['root', 'u1']);
    for (const u of res.body) {
      expect(u.token).toMatch(MASKED);
      expect(u).toHaveProperty('IsDelete', false);
    }
  });

  it('409 on a duplicate name, 400 naming the field for a bad name, extra fields ignored', async () => {
    const dup = await t.http.post('/1/users').set(auth(root.token)).send({ name: 'u1' }).expect(409);
    expect(dup.body.message).toContain('u1');
    const long = await t.http.post('/1/users').set(auth(root.token)).send({ name: 'x'.repeat(65) }).expect(400);
    expect(long.body.message).toMatch(/^name /);
    const missing = await t.http.post('/1/users').set(auth(root.token)).send({}).expect(400);
    expect(missing.body.message).toMatch(/name/);
    await t.http.post('/1/users').set(auth(root.token)).send({ name: 'extra1', unknownField: 1 }).expect(200);
  });

  it('malformed JSON is a 400, not a 500', async () => {
    const res = await t.http.post('/1/users').set(auth(root.token)).set('Content-Type', 'application/json').send('{"name": ').expect(400);
    expect(res.body.message).toMatch(/malformed JSON/);
  });

  it('an oversized body is a 413', async () => {
    const res = await t.http.post('/1/users').set(auth(root.token)).send({ name: 'a', pad: 'x'.repeat(3 * 1024 * 1024) }).expect(413);
    expect(res.body).toEqual({ message: 'request body too large' });
  });

  it('a common user gets 403 on admin routes', async () => {
    const u = await addUser(t.http, root, 'plain1');
    await t.http.get('/1/users').set(auth(u.token)).expect(403);
    await t.http.post('/1/users').set(auth(u.token)).send({ name: 'nope' }).expect(403);
    await t.http.delete(`/1/users/${root.id}`).set(auth(u.token)).expect(403);
    await t.http.post(`/1/users/${root.id}/reset`).set(auth(u.token)).expect(403);
  });

  it('POST /1/users/:id/reset issues a new token and the old one stops working at once', async () => {
    const u = await addUser(t.http, root, 'u2');
    await t.http.get('/1/me').set(auth(u.token)).expect(200);
    const res = await t.http.post(`/1/users/${u.id}/reset`).set(auth(root.token)).expect(200);
    expect(res.body).toMatchObject({ id: u.id, name: 'u2', IsDelete: false });
    expect(res.body.token).toMatch(UUID_V4);
    expect(res.body.token).not.toBe(u.token);
    await t.http.get('/1/me').set(auth(u.token)).expect(401);
    await t.http.get('/1/me').set(auth(res.body.token)).expect(200);
  });

  it('DELETE /1/users/:id answers {"message":"ok"}; the deleted user is refused at once and flagged IsDelete', async () => {
    const u = await addUser(t.http, root, 'doomed');
    const res = await t.http.delete(`/1/users/${u.id}`).set(auth(root.token)).expect(200);
    expect(res.body).toEqual({ message: 'ok' });
    await t.http.get('/1/me').set(auth(u.token)).expect(401);
    const list = await t.http.get('/1/users').set(auth(root.token)).expect(200);
    expect(list.body.find((x: { id: number }) => x.id === u.id)).toMatchObject({ IsDelete: true });
    await t.http.delete(`/1/users/${u.id}`).set(auth(root.token)).expect(404);
    await t.http.post(`/1/users/${u.id}/reset`).set(auth(root.token)).expect(404);
  });

  it('root cannot be deleted; unknown ids are 404; a non-integer id is 400 naming id', async () => {
    const res = await t.http.delete('/1/users/1').set(auth(root.token)).expect(403);
    expect(res.body.message).toContain('root');
    await t.http.delete('/1/users/9999').set(auth(root.token)).expect(404);
    const bad = await t.http.delete('/1/users/abc').set(auth(root.token)).expect(400);
    expect(bad.body.message).toMatch(/^id /);
  });

  it('roles: root makes an admin; an admin cannot make a root or an admin, nor touch root', async () => {
    const admin = await addAdmin(t.http, root, 'admin1');
    const me = await t.http.get('/1/me').set(auth(admin.token)).expect(200);
    expect(me.body.role).toBe(10);
    await t.http.get('/1/users').set(auth(admin.token)).expect(200);
    const target = await addUser(t.http, admin, 'made-by-admin');
    const toRoot = await t.http.patch(`/1/users/${target.id}`).set(auth(admin.token)).send({ role: 100 }).expect(400);
    expect(toRoot.body.message).toMatch(/^role /);
    await t.http.patch(`/1/users/${target.id}`).set(auth(admin.token)).send({ role: 10 }).expect(403);
    await t.http.post(`/1/users/${root.id}/reset`).set(auth(admin.token)).expect(403);
    await t.http.delete(`/1/users/${target.id}`).set(auth(admin.token)).expect(200);
  });
});
