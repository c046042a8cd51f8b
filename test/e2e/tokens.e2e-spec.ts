import { InvalidationBus, Invalidation } from '../../src/common/cache/invalidation-bus';
import { NEW_API_USER_MESSAGES } from '../../src/common/auth/auth.guard';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import {
  createToken,
  moveTokenId,
  SEED_000_UPDATE_BODY,
  SEED_001_BATCH_BODY,
  SEED_002_CREATE_BODY,
  TestToken,
  tokenRow,
} from '../support/tokens.builder';
import { addAdmin, addUser, initRoot, TestUser } from '../support/users.builder';

const FULL_KEY = /^sk-[0-9a-zA-Z]{48}$/;
const MASKED = /^[0-9a-zA-Z]{4}\*{10}[0-9a-zA-Z]{4}$/;
const EXPIRED_MSG = 'the token has expired and cannot be enabled; first change its expiry time or set it to never expire';
const EXHAUSTED_MSG = "the token's quota is used up and cannot be enabled; first raise its remaining quota or set it to unlimited";
const NOT_FOUND = { success: false, message: 'token does not exist' };
const TOKEN_FIELDS = [
  'accessed_time', 'allow_ips', 'created_time', 'expired_time', 'group', 'id', 'key', 'max_parallel_requests', 'mj_custom_proxy', 'mj_image_mode',
  'model_limits', 'model_limits_enabled', 'name', 'next_reset_at', 'previous_key_expires_at', 'quota_reset_amount', 'quota_reset_period', 'quota_reset_tz',
  'remain_quota', 'rpm_limit', 'selected_groups', 'status', 'tpm_limit', 'unlimited_quota', 'used_quota', 'user_id',
];
const now = () => Math.floor(Date.now() / 1000);

describe.each(testDatabases())('Tokens (seeds 000/001/002) on %s', (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let a: TestUser;
  let b: TestUser;
  let admin: TestUser;
  const events: Invalidation[] = [];

  const as = (u: TestUser) => auth(u.token, u.id);
  const masked = (key: string) => `${key.slice(3, 7)}**********${key.slice(-4)}`;

  beforeAll(async () => {
    t = await createTestApp(database());
    root = await initRoot(t.http);
    a = await addUser(t.http, root, 'alice');
    b = await addUser(t.http, root, 'bob');
    admin = await addAdmin(t.http, root, 'admin1');
    for (const u of [a, b]) await t.http.patch(`/1/users/${u.id}`).set(auth(root.token)).send({ groups: ['default', 'vip', 'x', 'stolen'] }).expect(200);
    t.app.get(InvalidationBus).subscribe((e) => events.push(e));
  });

  describe('groups a token may use', () => {
    it("a token's group must be one its owner may use: 400 naming group or selected_groups, on create, update and batch", async () => {
      const c = await addUser(t.http, root, 'carol');
      const refused = await t.http.post('/api/token/').set(as(c)).send({ name: 'n', group: 'vip' }).expect(400);
      expect(refused.body.message).toMatch(/^group: .*"vip".*allowed: default/);
      const viaSelected = await t.http.post('/api/token/').set(as(c)).send({ name: 'n', selected_groups: ['vip'] }).expect(400);
      expect(viaSelected.body.message).toMatch(/^selected_groups: /);
      const ok = await createToken(t.app, t.http, c, { name: 'fine', group: 'default' });
      await t.http.put('/api/token/').set(as(c)).send({ id: ok.id, group: 'vip' }).expect(400);
      await t.http.put('/api/token/batch').set(as(c)).send({ ids: [ok.id], group: 'vip', update_fields: ['group'] }).expect(400);
      expect((await t.http.get(`/api/token/${ok.id}`).set(as(c)).expect(200)).body.data.group).toBe('default');
      await t.http.patch(`/1/users/${c.id}`).set(auth(root.token)).send({ groups: 'default,vip' }).expect(200);
      await t.http.put('/api/token/').set(as(c)).send({ id: ok.id, group: 'vip' }).expect(200);
    });

    it('admins and root may use any group', async () => {
      await t.http.post('/api/token/').set(as(admin)).send({ name: 'any', group: 'whatever-group' }).expect(200);
    });
  });
  afterAll(async () => t?.close());
  beforeEach(() => {
    events.length = 0;
  });

  describe('create and read', () => {
    it("POST /api/token/ accepts seed 002's example and answers {success, message} without data (seed 002, new-api's AddToken), not cached", async () => {
      const res = await t.http.post('/api/token/').set(as(a)).send({ ...SEED_002_CREATE_BODY, id: 999 }).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ success: true, message: '' });
      const data = (await t.http.get('/api/token/?p=1&size=1').set(as(a)).expect(200)).body.data.items[0];
      expect(Object.keys(data).sort()).toEqual(TOKEN_FIELDS);
      expect(data.key).toMatch(MASKED);
      expect(data.id).not.toBe(999);
      expect(data).toMatchObject({
        user_id: a.id,
        name: 'My API Token',
        status: 3, // seed 002's expired_time 1640995200 is in the past
        expired_time: 1640995200,
        remain_quota: 1000000,
        used_quota: 0,
        unlimited_quota: false,
        model_limits_enabled: true,
        model_limits: 'gpt-3.5-turbo,gpt-4',
        allow_ips: '192.168.1.1\n10.0.0.1',
        group: 'default',
        mj_image_mode: 'default',
        mj_custom_proxy: '',
        selected_groups: [],
        accessed_time: 0,
      });
      expect(Math.abs(data.created_time - now())).toBeLessThan(5);
      expect(events).toEqual([{ topic: 'token', id: data.id }]);
    });

    it('stores the key only as HMAC, AES-GCM ciphertext and first 8 / last 4 characters', async () => {
      const tok = await createToken(t.app, t.http, a);
      const key = tok.key.slice(3);
      const row = (await tokenRow(t.app, tok.id))!;
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(String(row.key_ciphertext)).toMatch(/^v1\./);
      expect(String(row.key_ciphertext)).not.toContain(key);
      expect(row.key_prefix).toBe(key.slice(0, 8));
      expect(row.key_suffix).toBe(key.slice(-4));
      expect(Object.values(row).map(String)).not.toContain(key);
    });

    it('GET /api/token/:id returns the token with the key masked (first 4 + 10 stars + last 4, no sk-)', async () => {
      const tok = await createToken(t.app, t.http, a, { name: 'read me', model_limits: 'gpt-4o', group: 'vip,default' });
      const res = await t.http.get(`/api/token/${tok.id}`).set(as(a)).expect(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data.key).toMatch(MASKED);
      expect(res.body.data.key).toBe(masked(tok.key));
      expect(res.body.data).toMatchObject({ id: tok.id, name: 'read me', status: 1, model_limits: 'gpt-4o', group: 'vip,default', remain_quota: 500000 });
    });

    it('GET /api/token/:id is 404 "token does not exist" for a missing id and 400 naming id for a non-integer', async () => {
      const res = await t.http.get('/api/token/987654').set(as(a)).expect(404);
      expect(res.body).toEqual(NOT_FOUND);
      const bad = await t.http.get('/api/token/abc').set(as(a)).expect(400);
      expect(bad.body).toEqual({ success: false, message: 'id must be a positive integer' });
    });

    it('group keeps its order; allow_ips takes newlines, commas, IPv6 and CIDRs', async () => {
      const tok = await createToken(t.app, t.http, a, { name: 'ips', allow_ips: '10.0.0.0/8\n::1, 2001:db8::/32', group: ' vip , default,vip ' });
      const res = await t.http.get(`/api/token/${tok.id}`).set(as(a)).expect(200);
      expect(res.body.data.allow_ips).toBe('10.0.0.0/8\n::1\n2001:db8::/32');
      expect(res.body.data.group).toBe('vip,default');
    });
  });

  describe('validation', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['name over 30 characters', { name: 'x'.repeat(31) }, /^name: token name is too long$/],
      ['empty name', { name: '' }, /^name /],
      ['missing name', {}, /name/],
      ['negative remain_quota', { name: 'n', remain_quota: -1 }, /^remain_quota /],
      ['fractional remain_quota', { name: 'n', remain_quota: 1.5 }, /^remain_quota /],
      ['remain_quota over 500,000,000,000,000', { name: 'n', remain_quota: 500_000_000_000_001 }, /^remain_quota /],
      ['expired_time below -1', { name: 'n', expired_time: -2 }, /^expired_time /],
      ['expired_time not an integer', { name: 'n', expired_time: 'soon' }, /^expired_time /],
      ['model_limits of numbers', { name: 'n', model_limits: [1, 2] }, /^model_limits /],
      ['a bad allow_ips entry', { name: 'n', allow_ips: '1.2.3.4\nnot-an-ip' }, /^allow_ips entry "not-an-ip"/],
      ['an allow_ips CIDR with a bad prefix', { name: 'n', allow_ips: '10.0.0.0/33' }, /^allow_ips entry "10.0.0.0\/33"/],
      ['a bad mj_image_mode', { name: 'n', mj_image_mode: 'fancy' }, /^mj_image_mode /],
      ['group not a string', { name: 'n', group: 5 }, /^group /],
      ['unlimited_quota not a boolean', { name: 'n', unlimited_quota: 'yes' }, /^unlimited_quota /],
      ['selected_groups not an array', { name: 'n', selected_groups: 'vip' }, /^selected_groups /],
    ];
    it.each(cases)('POST /api/token/ with %s is 400 naming the field', async (_what, body, message) => {
      const res = await t.http.post('/api/token/').set(as(a)).send(body).expect(400);
      expect(res.body.success).toBe(false);
      expect(res.body.message).toMatch(message);
    });

    it('a 30-character name (Chinese too) is accepted', async () => {
      await createToken(t.app, t.http, a, { name: '令'.repeat(30) });
    });

    it('PUT /api/token/ validates the same fields and needs id', async () => {
      const tok = await createToken(t.app, t.http, a);
      const long = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, name: 'y'.repeat(31) }).expect(400);
      expect(long.body.message).toBe('name: token name is too long');
      const noId = await t.http.put('/api/token/').set(as(a)).send({ name: 'n' }).expect(400);
      expect(noId.body.message).toMatch(/^id /);
      const status = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, status: 3 }).expect(400);
      expect(status.body.message).toBe('status must be 1 (enabled) or 2 (disabled)');
    });
  });

  describe('update and status transitions', () => {
    it("PUT /api/token/ accepts seed 000's example body verbatim", async () => {
      const tok = await createToken(t.app, t.http, a, { model_limits: 'gpt-4', model_limits_enabled: true, group: 'vip', allow_ips: '1.1.1.1' });
      await moveTokenId(t.app, tok.id, 194804);
      events.length = 0;
      const res = await t.http.put('/api/token/').set(as(a)).set('Content-Type', 'application/json').send(SEED_000_UPDATE_BODY).expect(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toMatchObject({
        id: 194804,
        name: '令牌22名字',
        status: 1,
        remain_quota: 250000000000,
        expired_time: -1,
        unlimited_quota: false,
        model_limits_enabled: false,
        model_limits: '',
        group: '',
        allow_ips: '',
        mj_image_mode: 'default',
        selected_groups: [],
      });
      expect(res.body.data.key).toBe(masked(tok.key));
      const read = await t.http.get('/api/token/194804').set(as(a)).expect(200);
      expect(read.body.data).toEqual(res.body.data);
      expect(events).toEqual([{ topic: 'token', id: 194804 }]);
    });

    it("PUT /api/token/ with seed 002's body (model_limits array) changes only what it names", async () => {
      const tok = await createToken(t.app, t.http, a, { mj_image_mode: 'proxy', mj_custom_proxy: 'https://img.example.com' });
      const res = await t.http
        .put('/api/token/')
        .set(as(a))
        .send({ id: tok.id, name: 'Updated Token', expired_time: 1640995200, remain_quota: 2000000, unlimited_quota: false, model_limits_enabled: true, model_limits: ['gpt-3.5-turbo', 'gpt-4'], allow_ips: '192.168.1.1', group: 'vip' })
        .expect(200);
      expect(res.body.data).toMatchObject({ id: tok.id, name: 'Updated Token', status: 3, model_limits: 'gpt-3.5-turbo,gpt-4', group: 'vip', mj_image_mode: 'proxy', mj_custom_proxy: 'https://img.example.com' });
    });

    it('status: enabled → disabled → enabled with ?status_only=true, which ignores other fields', async () => {
      const tok = await createToken(t.app, t.http, a, { name: 'toggle' });
      events.length = 0;
      const off = await t.http.put('/api/token/?status_only=true').set(as(a)).send({ id: tok.id, status: 2, name: 'ignored' }).expect(200);
      expect(off.body.data).toMatchObject({ id: tok.id, name: 'toggle', status: 2 });
      const on = await t.http.put('/api/token/?status_only=true').set(as(a)).send({ id: tok.id, status: 1 }).expect(200);
      expect(on.body.data).toMatchObject({ id: tok.id, name: 'toggle', status: 1 });
      const missing = await t.http.put('/api/token/?status_only=true').set(as(a)).send({ id: tok.id }).expect(400);
      expect(missing.body.message).toMatch(/^status is required/);
      expect(events).toEqual([{ topic: 'token', id: tok.id }, { topic: 'token', id: tok.id }]);
    });

    it('an expired token reads 3 and cannot be enabled until its expiry changes (seed 002 message)', async () => {
      const tok = await createToken(t.app, t.http, a);
      await t.http.put('/api/token/?status_only=true').set(as(a)).send({ id: tok.id, status: 2 }).expect(200);
      const past = now() - 60;
      const disabled = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, expired_time: past }).expect(200);
      expect(disabled.body.data.status).toBe(2); // disabled wins over expired
      const refused = await t.http.put('/api/token/?status_only=true').set(as(a)).send({ id: tok.id, status: 1 }).expect(400);
      expect(refused.body).toEqual({ success: false, message: EXPIRED_MSG });
      const refusedFull = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, status: 1 }).expect(400);
      expect(refusedFull.body.message).toBe(EXPIRED_MSG);
      expect((await t.http.get(`/api/token/${tok.id}`).set(as(a))).body.data.status).toBe(2);
      const fixed = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, expired_time: -1, status: 1 }).expect(200);
      expect(fixed.body.data.status).toBe(1);
      const lapsed = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, expired_time: past }).expect(200);
      expect(lapsed.body.data.status).toBe(3);
    });

    it('an exhausted token reads 4 and cannot be enabled until it has quota or is unlimited (seed 002 message)', async () => {
      const tok = await createToken(t.app, t.http, a, { remain_quota: 0 });
      expect((await t.http.get(`/api/token/${tok.id}`).set(as(a))).body.data.status).toBe(4);
      await t.http.put('/api/token/?status_only=true').set(as(a)).send({ id: tok.id, status: 2 }).expect(200);
      const refused = await t.http.put('/api/token/?status_only=true').set(as(a)).send({ id: tok.id, status: 1 }).expect(400);
      expect(refused.body).toEqual({ success: false, message: EXHAUSTED_MSG });
      const unlimited = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, unlimited_quota: true, status: 1 }).expect(200);
      expect(unlimited.body.data.status).toBe(1);
      const limited = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, unlimited_quota: false }).expect(200);
      expect(limited.body.data.status).toBe(4);
      const raised = await t.http.put('/api/token/').set(as(a)).send({ id: tok.id, remain_quota: 10 }).expect(200);
      expect(raised.body.data.status).toBe(1);
    });

    it('PUT /api/token/ on a missing id is 404', async () => {
      const res = await t.http.put('/api/token/').set(as(a)).send({ id: 987654, name: 'x' }).expect(404);
      expect(res.body).toEqual(NOT_FOUND);
    });
  });

  describe('list and search', () => {
    let u: TestUser;
    let made: TestToken[];

    beforeAll(async () => {
      u = await addUser(t.http, root, 'lister');
      made = [];
      for (let i = 0; i < 25; i++) made.push(await createToken(t.app, t.http, u, { name: i % 2 === 0 ? `even API ${i}` : `odd key ${i}` }));
    });

    it('GET /api/token/?p=1&size=20 returns seed 002\'s page object, newest first, keys masked', async () => {
      const res = await t.http.get('/api/token/?p=1&size=20').set(as(u)).expect(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toMatchObject({ total: 25, page: 1, page_size: 20 });
      expect(res.body.data.items).toHaveLength(20);
      expect(res.body.data.items.map((x: { id: number }) => x.id)).toEqual(made.map((m) => m.id).reverse().slice(0, 20));
      for (const item of res.body.data.items) expect(item.key).toMatch(MASKED);
      const page2 = await t.http.get('/api/token/?p=2&size=20').set(as(u)).expect(200);
      expect(page2.body.data.items.map((x: { id: number }) => x.id)).toEqual(made.slice(0, 5).map((m) => m.id).reverse());
    });

    it('defaults to p=1 size=20, takes page_size, clamps size to 100, and 400s a p that is not an integer', async () => {
      const dflt = await t.http.get('/api/token/').set(as(u)).expect(200);
      expect(dflt.body.data).toMatchObject({ page: 1, page_size: 20, total: 25 });
      const alias = await t.http.get('/api/token/?page_size=7').set(as(u)).expect(200);
      expect(alias.body.data.items).toHaveLength(7);
      const big = await t.http.get('/api/token/?size=1000').set(as(u)).expect(200);
      expect(big.body.data.page_size).toBe(100);
      expect(big.body.data.items).toHaveLength(25);
      const bad = await t.http.get('/api/token/?p=zero').set(as(u)).expect(400);
      expect(bad.body.message).toMatch(/^p /);
      const empty = await t.http.get('/api/token/?p=9').set(as(u)).expect(200);
      expect(empty.body.data.items).toEqual([]);
    });

    it('GET /api/token/search?keyword= matches a name substring and returns an array, newest first', async () => {
      const res = await t.http.get('/api/token/search?keyword=API').set(as(u)).expect(200);
      expect(Array.isArray(res.body.data)).toBe(true);
      expect(res.body.data).toHaveLength(13);
      expect(res.body.data[0].name).toBe('even API 24');
      const none = await t.http.get('/api/token/search?keyword=nothing-like-this').set(as(u)).expect(200);
      expect(none.body.data).toEqual([]);
      const wildcard = await t.http.get('/api/token/search?keyword=%25').set(as(u)).expect(200);
      expect(wildcard.body.data).toEqual([]);
    });

    it('search by token: full key exactly, a prefix or suffix fragment, a longer start, or the masked form; sk- ignored', async () => {
      const target = made[7];
      const key = target.key.slice(3);
      const ids = async (q: string) =>
        (await t.http.get(`/api/token/search?${q}`).set(as(u)).expect(200)).body.data.map((x: { id: number }) => x.id);
      expect(await ids(`token=${target.key}`)).toEqual([target.id]);
      expect(await ids(`token=${key}`)).toEqual([target.id]);
      expect(await ids(`token=sk-${key.slice(0, 8)}`)).toContain(target.id);
      expect(await ids(`token=${key.slice(-4)}`)).toContain(target.id);
      expect(await ids(`token=${key.slice(0, 20)}`)).toEqual([target.id]);
      expect(await ids(`token=${encodeURIComponent(masked(target.key))}`)).toContain(target.id);
      expect(await ids(`token=sk-${key.slice(0, 47)}${key.endsWith('X') ? 'Y' : 'X'}`)).not.toContain(target.id); // one character off
      expect(await ids('token=sk-123')).toEqual(expect.any(Array)); // seed 002's example query is accepted
      expect(await ids(`keyword=odd&token=${target.key}`)).toEqual([target.id]); // ANDed: made[7] is "odd key 7"
      expect(await ids(`keyword=even&token=${target.key}`)).toEqual([]);
    });

    it('admins may list and search another user with ?user_id=; common users may not', async () => {
      const list = await t.http.get(`/api/token/?user_id=${u.id}`).set(as(admin)).expect(200);
      expect(list.body.data.total).toBe(25);
      const search = await t.http.get(`/api/token/search?keyword=odd&user_id=${u.id}`).set(as(admin)).expect(200);
      expect(search.body.data).toHaveLength(12);
      const refused = await t.http.get(`/api/token/?user_id=${u.id}`).set(as(b)).expect(403);
      expect(refused.body.success).toBe(false);
      await t.http.get(`/api/token/search?user_id=${u.id}`).set(as(b)).expect(403);
      await t.http.get(`/api/token/?user_id=${b.id}`).set(as(b)).expect(200);
    });
  });

  describe('delete and batch', () => {
    it('DELETE /api/token/:id deletes once; then 404', async () => {
      const tok = await createToken(t.app, t.http, a);
      events.length = 0;
      const res = await t.http.delete(`/api/token/${tok.id}`).set(as(a)).expect(200);
      expect(res.body).toEqual({ success: true, message: '' });
      expect(events).toEqual([{ topic: 'token', id: tok.id }]);
      expect((await t.http.get(`/api/token/${tok.id}`).set(as(a)).expect(404)).body).toEqual(NOT_FOUND);
      expect((await t.http.delete(`/api/token/${tok.id}`).set(as(a)).expect(404)).body).toEqual(NOT_FOUND);
    });

    it('POST /api/token/batch deletes the caller\'s ids (array or "1,2" string) and returns how many', async () => {
      const [x, y, z] = [await createToken(t.app, t.http, a), await createToken(t.app, t.http, a), await createToken(t.app, t.http, a)];
      events.length = 0;
      const res = await t.http.post('/api/token/batch').set(as(a)).send({ ids: [x.id, y.id, 987654] }).expect(200);
      expect(res.body).toEqual({ success: true, message: '', data: 2 });
      expect(events.map((e) => e.id).sort()).toEqual([x.id, y.id].sort());
      await t.http.get(`/api/token/${x.id}`).set(as(a)).expect(404);
      const str = await t.http.post('/api/token/batch').set(as(a)).send({ ids: `${z.id}` }).expect(200);
      expect(str.body.data).toBe(1);
    });

    it('POST /api/token/batch refuses empty, malformed and over-1000 ids with 400 naming ids', async () => {
      for (const ids of [[], 'a,b', [0], undefined, Array.from({ length: 1001 }, (_, i) => i + 1)]) {
        const res = await t.http.post('/api/token/batch').set(as(a)).send({ ids }).expect(400);
        expect(res.body.message).toMatch(/^ids /);
      }
    });

    it("PUT /api/token/batch applies seed 001's example verbatim: only update_fields change, data = rows changed", async () => {
      const one = await createToken(t.app, t.http, a, { name: 'b1', model_limits_enabled: false, remain_quota: 7 });
      const two = await createToken(t.app, t.http, a, { name: 'b2', model_limits_enabled: false, remain_quota: 7 });
      await moveTokenId(t.app, one.id, 873);
      await moveTokenId(t.app, two.id, 869);
      events.length = 0;
      const res = await t.http.put('/api/token/batch').set(as(a)).set('Content-Type', 'application/json').send(SEED_001_BATCH_BODY).expect(200);
      expect(res.body).toEqual({ success: true, message: '', data: 2 });
      expect(events.map((e) => e.id).sort()).toEqual([869, 873]);
      for (const id of [873, 869]) {
        const data = (await t.http.get(`/api/token/${id}`).set(as(a)).expect(200)).body.data;
        expect(data).toMatchObject({
          group: 'default',
          expired_time: 1776410923,
          remain_quota: 0,
          unlimited_quota: true,
          model_limits: 'gpt-4o,gpt-4o-2024-11-20',
          allow_ips: '192.168.1.1',
          mj_image_mode: 'origin',
          mj_custom_proxy: '',
          model_limits_enabled: false, // sent, but not named in update_fields
        });
      }
    });

    it('PUT /api/token/batch takes ids as "873,869" and a subset of fields; others stay', async () => {
      const res = await t.http
        .put('/api/token/batch')
        .set(as(a))
        .send({ ids: '873,869', group: 'vip,default', remain_quota: 99, update_fields: ['group'] })
        .expect(200);
      expect(res.body.data).toBe(2);
      const data = (await t.http.get('/api/token/873').set(as(a))).body.data;
      expect(data).toMatchObject({ group: 'vip,default', remain_quota: 0 });
    });

    it('PUT /api/token/batch 400s an unknown or missing named field and bad values', async () => {
      const unknown = await t.http.put('/api/token/batch').set(as(a)).send({ ids: [873], name: 'x', update_fields: ['name'] }).expect(400);
      expect(unknown.body.message).toMatch(/^update_fields /);
      const missing = await t.http.put('/api/token/batch').set(as(a)).send({ ids: [873], update_fields: ['group'] }).expect(400);
      expect(missing.body.message).toBe('group is named in update_fields but missing from the body');
      const badIp = await t.http.put('/api/token/batch').set(as(a)).send({ ids: [873], allow_ips: '300.1.1.1', update_fields: ['allow_ips'] }).expect(400);
      expect(badIp.body.message).toMatch(/^allow_ips entry "300.1.1.1"/);
      const none = await t.http.put('/api/token/batch').set(as(a)).send({ ids: [873], update_fields: [] }).expect(400);
      expect(none.body.message).toMatch(/^update_fields /);
      const tooMany = await t.http
        .put('/api/token/batch')
        .set(as(a))
        .send({ ids: Array.from({ length: 1001 }, (_, i) => i + 1), group: 'x', update_fields: ['group'] })
        .expect(400);
      expect(tooMany.body.message).toMatch(/^ids /);
    });
  });

  describe('reveal', () => {
    it("POST /api/token/:id/key returns the key without sk- (new-api's GetTokenKey: data {key}) with Cache-Control: no-store", async () => {
      const tok = await createToken(t.app, t.http, a);
      const res = await t.http.post(`/api/token/${tok.id}/key`).set(as(a)).expect(200);
      expect(res.body).toEqual({ success: true, message: '', data: { key: tok.key.slice(3) } });
      expect(res.headers['cache-control']).toBe('no-store');
      expect((await t.http.post('/api/token/987654/key').set(as(a)).expect(404)).body).toEqual(NOT_FOUND);
    });

    it('is rate-limited per user: the 11th reveal in a minute is 429 in the envelope; other users are unaffected', async () => {
      const c = await addUser(t.http, root, 'revealer');
      const tok = await createToken(t.app, t.http, c);
      for (let i = 0; i < 10; i++) await t.http.post(`/api/token/${tok.id}/key`).set(as(c)).expect(200);
      const res = await t.http.post(`/api/token/${tok.id}/key`).set(as(c)).expect(429);
      expect(res.body).toEqual({ success: false, message: expect.stringMatching(/^too many requests/) });
      const other = await createToken(t.app, t.http, a);
      await t.http.post(`/api/token/${other.id}/key`).set(as(a)).expect(200);
    });
  });

  describe('GET /api/usage/token', () => {
    it('answers for the sk- token itself as bearer, without New-Api-User', async () => {
      const tok = await createToken(t.app, t.http, a, { name: 'usage', remain_quota: 1500000, model_limits: 'gpt-4o,gpt-4o-mini', model_limits_enabled: true });
      const res = await t.http.get('/api/usage/token').set('Authorization', `Bearer ${tok.key}`).expect(200);
      expect(res.body).toEqual({
        success: true,
        message: '',
        data: {
          object: 'token_usage',
          name: 'usage',
          total_granted: 1500000,
          total_used: 0,
          total_available: 1500000,
          unlimited_quota: false,
          model_limits: 'gpt-4o,gpt-4o-mini',
          model_limits_enabled: true,
          expires_at: 0,
        },
      });
      const bare = await t.http.get('/api/usage/token').set('Authorization', tok.key.slice(3)).expect(200);
      expect(bare.body.data.name).toBe('usage');
    });

    it('401 in the envelope for a missing, malformed or unknown key, and for a user access token', async () => {
      for (const header of [undefined, 'Bearer sk-short', `Bearer sk-${'A'.repeat(48)}`, `Bearer ${a.token}`]) {
        const req = t.http.get('/api/usage/token');
        if (header) req.set('Authorization', header);
        const res = await req.expect(401);
        expect(res.body.success).toBe(false);
        expect(typeof res.body.message).toBe('string');
      }
    });

    it("401 while the token's owner is disabled", async () => {
      const off = await addUser(t.http, root, 'paused');
      const tok = await createToken(t.app, t.http, off);
      await t.http.patch(`/1/users/${off.id}`).set(auth(root.token)).send({ status: 2 }).expect(200);
      await t.http.get('/api/usage/token').set('Authorization', `Bearer ${tok.key}`).expect(401);
      await t.http.patch(`/1/users/${off.id}`).set(auth(root.token)).send({ status: 1 }).expect(200);
      await t.http.get('/api/usage/token').set('Authorization', `Bearer ${tok.key}`).expect(200);
    });

    it("401 once the token's owner is deleted", async () => {
      const gone = await addUser(t.http, root, 'leaving');
      const tok = await createToken(t.app, t.http, gone);
      await t.http.get('/api/usage/token').set('Authorization', `Bearer ${tok.key}`).expect(200);
      await t.http.delete(`/1/users/${gone.id}`).set(auth(root.token)).expect(200);
      await t.http.get('/api/usage/token').set('Authorization', `Bearer ${tok.key}`).expect(401);
    });
  });

  describe("user B cannot touch user A's tokens", () => {
    let tok: TestToken;
    beforeAll(async () => {
      tok = await createToken(t.app, t.http, a, { name: 'alice only', group: 'vip' });
    });
    const unchanged = async () => {
      const res = await t.http.get(`/api/token/${tok.id}`).set(as(a)).expect(200);
      expect(res.body.data).toMatchObject({ id: tok.id, name: 'alice only', group: 'vip', status: 1 });
    };

    it('GET /api/token/:id is the same 404 as a missing token', async () => {
      expect((await t.http.get(`/api/token/${tok.id}`).set(as(b)).expect(404)).body).toEqual(NOT_FOUND);
    });
    it('PUT /api/token/ (full and status_only) is 404 and changes nothing', async () => {
      expect((await t.http.put('/api/token/').set(as(b)).send({ id: tok.id, name: 'pwned' }).expect(404)).body).toEqual(NOT_FOUND);
      await t.http.put('/api/token/?status_only=true').set(as(b)).send({ id: tok.id, status: 2 }).expect(404);
      await unchanged();
    });
    it('DELETE /api/token/:id is 404 and deletes nothing', async () => {
      expect((await t.http.delete(`/api/token/${tok.id}`).set(as(b)).expect(404)).body).toEqual(NOT_FOUND);
      await unchanged();
    });
    it('POST /api/token/:id/key is 404 and reveals nothing', async () => {
      const res = await t.http.post(`/api/token/${tok.id}/key`).set(as(b)).expect(404);
      expect(JSON.stringify(res.body)).not.toContain(tok.key.slice(3));
    });
    it('POST /api/token/batch deletes 0 of them', async () => {
      const res = await t.http.post('/api/token/batch').set(as(b)).send({ ids: [tok.id] }).expect(200);
      expect(res.body.data).toBe(0);
      await unchanged();
    });
    it('PUT /api/token/batch changes 0 of them', async () => {
      const res = await t.http.put('/api/token/batch').set(as(b)).send({ ids: [tok.id], group: 'stolen', update_fields: ['group'] }).expect(200);
      expect(res.body.data).toBe(0);
      expect(events).toEqual([]);
      await unchanged();
    });
    it("GET /api/token/ and /api/token/search never show them", async () => {
      const list = await t.http.get('/api/token/?size=100').set(as(b)).expect(200);
      expect(list.body.data.items.map((x: { user_id: number }) => x.user_id).every((id: number) => id === b.id)).toBe(true);
      const search = await t.http.get(`/api/token/search?token=${tok.key}`).set(as(b)).expect(200);
      expect(search.body.data).toEqual([]);
      const byName = await t.http.get('/api/token/search?keyword=alice').set(as(b)).expect(200);
      expect(byName.body.data).toEqual([]);
    });
  });

  it('Swagger lists every token route under the Tokens tag, with the seeds\' examples', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const ops: [string, string][] = [
      ['/api/token', 'get'], ['/api/token', 'post'], ['/api/token', 'put'], ['/api/token/search', 'get'], ['/api/token/batch', 'post'],
      ['/api/token/batch', 'put'], ['/api/token/{id}', 'get'], ['/api/token/{id}', 'delete'], ['/api/token/{id}/key', 'post'], ['/api/token/batch/keys', 'post'], ['/api/usage/token', 'get'],
    ];
    for (const [path, method] of ops) expect(doc.paths[path]?.[method]?.tags).toEqual(['Tokens']);
    expect(JSON.stringify(doc.paths['/api/token'].put)).toContain('令牌22名字');
    expect(doc.paths['/api/token/batch'].put.requestBody.content['application/json'].examples.seed001.value.ids).toEqual([873, 869]);
  });

  describe('New-Api-User header', () => {
    const routes: [string, (h: Record<string, string>) => Promise<{ status: number; body: { success: boolean; message: string } }>][] = [
      ['GET /api/token/', (h) => t.http.get('/api/token/').set(h)],
      ['GET /api/token/search', (h) => t.http.get('/api/token/search?keyword=x').set(h)],
      ['GET /api/token/:id', (h) => t.http.get('/api/token/1').set(h)],
      ['POST /api/token/', (h) => t.http.post('/api/token/').set(h).send({ name: 'n' })],
      ['PUT /api/token/', (h) => t.http.put('/api/token/').set(h).send({ id: 1 })],
      ['DELETE /api/token/:id', (h) => t.http.delete('/api/token/1').set(h)],
      ['POST /api/token/batch', (h) => t.http.post('/api/token/batch').set(h).send({ ids: [1] })],
      ['PUT /api/token/batch', (h) => t.http.put('/api/token/batch').set(h).send({ ids: [1], group: 'x', update_fields: ['group'] })],
      ['POST /api/token/:id/key', (h) => t.http.post('/api/token/1/key').set(h)],
    ];
    it.each(routes)('%s refuses a missing, malformed or mismatched New-Api-User with 401', async (_name, call) => {
      const missing = await call(auth(a.token));
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ success: false, message: NEW_API_USER_MESSAGES.missing });
      const malformed = await call({ ...auth(a.token), 'New-Api-User': 'abc' });
      expect(malformed.status).toBe(401);
      expect(malformed.body).toEqual({ success: false, message: NEW_API_USER_MESSAGES.malformed });
      const mismatch = await call(auth(a.token, b.id));
      expect(mismatch.status).toBe(401);
      expect(mismatch.body).toEqual({ success: false, message: NEW_API_USER_MESSAGES.mismatch });
      const noToken = await call({ 'New-Api-User': String(a.id) });
      expect(noToken.status).toBe(401);
      expect(noToken.body.success).toBe(false);
    });
  });
});

describe.each(testDatabases())('Tokens per-user limit on %s', (_label, database) => {
  let t: TestApp;
  afterAll(async () => t?.close());

  it('past MAX_TOKENS_PER_USER a create is 400 with a clear message; deleting one frees a slot', async () => {
    t = await createTestApp(database(), { MAX_TOKENS_PER_USER: '2' });
    const root = await initRoot(t.http);
    const first = await createToken(t.app, t.http, root);
    await createToken(t.app, t.http, root);
    const res = await t.http.post('/api/token/').set(auth(root.token, root.id)).send({ name: 'third' }).expect(400);
    expect(res.body).toEqual({ success: false, message: expect.stringMatching(/^token limit reached: a user may hold at most 2 tokens/) });
    const other = await addUser(t.http, root, 'other');
    await createToken(t.app, t.http, other);
    await t.http.delete(`/api/token/${first.id}`).set(auth(root.token, root.id)).expect(200);
    await createToken(t.app, t.http, root);
  });
});
