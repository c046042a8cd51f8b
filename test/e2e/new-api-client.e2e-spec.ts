import { addKey } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { createToken } from '../support/tokens.builder';
import { addUser, initRoot, TestUser } from '../support/users.builder';

/** new-api's quota per display unit (USD), as its front end converts `remain_amount` (helpers/quota.js). */
const QUOTA_PER_UNIT = 500_000;
const now = () => Math.floor(Date.now() / 1000);

/**
 * The body new-api's token edit form sends (QuantumNous/new-api web/src/components/table/tokens/modals/EditTokenModal.jsx):
 * `loadToken` puts the whole `GET /api/token/:id` data over `getInitValues()` (status included), the
 * user edits, and `submit` sends every value back with `remain_quota` from `remain_amount`, the
 * expiry in unix seconds, `model_limits` joined and `model_limits_enabled` from it, and `id`.
 */
function editFormBody(loaded: Record<string, any>, edits: { expired_time?: number; remain_amount?: number; name?: string }): Record<string, unknown> {
  const initValues = {
    name: '',
    remain_quota: 0,
    remain_amount: 0,
    expired_time: -1,
    unlimited_quota: true,
    model_limits_enabled: false,
    model_limits: [] as string[],
    allow_ips: '',
    group: '',
    cross_group_retry: false,
    tokenCount: 1,
  };
  const data = {
    ...loaded,
    model_limits: loaded.model_limits !== '' ? String(loaded.model_limits).split(',') : [],
    remain_amount: Number((loaded.remain_quota / QUOTA_PER_UNIT).toFixed(6)),
  };
  const { tokenCount: _tc, ...values } = { ...initValues, ...data, ...edits } as Record<string, any>;
  values.remain_quota = values.unlimited_quota ? 0 : Math.round(values.remain_amount * QUOTA_PER_UNIT);
  values.model_limits = values.model_limits.join(',');
  values.model_limits_enabled = values.model_limits.length > 0;
  return { ...values, id: Number(loaded.id) };
}

describe.each(testDatabases())("new-api's token page against Tollgate (seeds 000-002) on %s", (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let u: TestUser;
  let other: TestUser;
  let stub: StubUpstream;
  const as = (user: TestUser) => auth(user.token, user.id);

  beforeAll(async () => {
    stub = await StubUpstream.start();
    t = await createTestApp(database());
    root = await initRoot(t.http);
    u = await addUser(t.http, root, 'alice');
    other = await addUser(t.http, root, 'bob');
    await addKey(t.http, root, { key: 'sk-upstream-new-api-client', endpoint: stub.baseUrl });
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  describe('editing an expired or exhausted token (EditTokenModal.jsx sends back the status it loaded)', () => {
    it('an expired token (status 3) whose expiry the form moves to the future is saved and reads 1', async () => {
      const tok = await createToken(t.app, t.http, u, { name: 'late', expired_time: now() - 3600, remain_quota: 1_000_000 });
      const loaded = (await t.http.get(`/api/token/${tok.id}`).set(as(u)).expect(200)).body.data;
      expect(loaded.status).toBe(3);
      const body = editFormBody(loaded, { expired_time: now() + 30 * 86400 });
      expect(body).toMatchObject({ status: 3, key: loaded.key, remain_amount: 2, used_quota: 0 });
      const res = await t.http.put('/api/token/').set(as(u)).send(body).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { id: tok.id, status: 1, expired_time: body.expired_time, remain_quota: 1_000_000 } });
      expect((await t.http.get(`/api/token/${tok.id}`).set(as(u)).expect(200)).body.data.status).toBe(1);
    });

    it('an exhausted token (status 4) whose quota the form raises is saved and reads 1', async () => {
      const tok = await createToken(t.app, t.http, u, { name: 'spent', remain_quota: 0 });
      const loaded = (await t.http.get(`/api/token/${tok.id}`).set(as(u)).expect(200)).body.data;
      expect(loaded.status).toBe(4);
      const res = await t.http.put('/api/token/').set(as(u)).send(editFormBody(loaded, { remain_amount: 2 })).expect(200);
      expect(res.body.data).toMatchObject({ status: 1, remain_quota: 1_000_000 });
    });

    it('a saved edit that leaves the token expired keeps reading 3; a status it does not read now is still 400', async () => {
      const tok = await createToken(t.app, t.http, u, { name: 'still-late', expired_time: now() - 3600 });
      const loaded = (await t.http.get(`/api/token/${tok.id}`).set(as(u)).expect(200)).body.data;
      const renamed = await t.http.put('/api/token/').set(as(u)).send(editFormBody(loaded, { name: 'renamed' })).expect(200);
      expect(renamed.body.data).toMatchObject({ name: 'renamed', status: 3 });
      const wrong = await t.http.put('/api/token/').set(as(u)).send({ ...editFormBody(loaded, {}), status: 4 }).expect(400);
      expect(wrong.body).toEqual({ success: false, message: 'status must be 1 (enabled) or 2 (disabled)' });
      const statusOnly = await t.http.put('/api/token/?status_only=true').set(as(u)).send({ id: tok.id, status: 3 }).expect(400);
      expect(statusOnly.body.message).toBe('status must be 1 (enabled) or 2 (disabled)');
    });
  });

  describe("keys as new-api hands them out (controller/token.go AddToken, GetTokenKey; web/src/hooks/tokens/useTokensData.jsx copyTokenKey: `sk-${fullKey}`)", () => {
    it('create answers {success, message} with no data, as AddToken', async () => {
      const res = await t.http.post('/api/token/').set(as(u)).send({ name: 'fresh', remain_quota: 500_000, expired_time: -1, unlimited_quota: false }).expect(200);
      expect(res.body).toEqual({ success: true, message: '' });
    });

    it('reveal answers data {key} without sk-; the copied `sk-${key}` relays, reads /api/usage/token and finds the token in search', async () => {
      const tok = await createToken(t.app, t.http, u, { name: 'copied' });
      // web/src/helpers/token.js fetchTokenKey: API.post(`/api/token/${tokenId}/key`), returns data.key
      const revealed = await t.http.post(`/api/token/${tok.id}/key`).set(as(u)).expect(200);
      expect(revealed.body).toEqual({ success: true, message: '', data: { key: expect.stringMatching(/^[0-9a-zA-Z]{48}$/) } });
      const copied = `sk-${revealed.body.data.key}`;
      expect(copied).toBe(tok.key);
      await t.http.post('/v1/chat/completions').set(auth(copied)).send({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }).expect(200);
      expect((await t.http.get('/api/usage/token').set(auth(copied)).expect(200)).body.data.name).toBe('copied');
      await t.http.get('/api/usage/token').set(auth(revealed.body.data.key)).expect(200);
      for (const token of [copied, revealed.body.data.key]) {
        const found = await t.http.get('/api/token/search').query({ keyword: '', token }).set(as(u)).expect(200);
        expect(found.body.data.map((x: { id: number }) => x.id)).toEqual([tok.id]);
      }
    });

    it('POST /api/token/batch/keys {"ids"} answers data {keys: {id: key without sk-}} for own tokens only (helpers/token.js fetchTokenKeysBatch)', async () => {
      const mine = [await createToken(t.app, t.http, u, { name: 'b1' }), await createToken(t.app, t.http, u, { name: 'b2' })];
      const theirs = await createToken(t.app, t.http, other, { name: 'theirs' });
      const res = await t.http.post('/api/token/batch/keys').set(as(u)).send({ ids: [mine[0].id, mine[1].id, theirs.id, 987654] }).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ success: true, message: '', data: { keys: { [mine[0].id]: mine[0].key.slice(3), [mine[1].id]: mine[1].key.slice(3) } } });
      const none = await t.http.post('/api/token/batch/keys').set(as(other)).send({ ids: [mine[0].id] }).expect(200);
      expect(none.body.data).toEqual({ keys: {} });
    });

    it('POST /api/token/batch/keys refuses empty, malformed and over-100 ids with 400 naming ids', async () => {
      for (const ids of [[], 'x', Array.from({ length: 101 }, (_, i) => i + 1)]) {
        const res = await t.http.post('/api/token/batch/keys').set(as(u)).send({ ids }).expect(400);
        expect(res.body).toEqual({ success: false, message: expect.stringMatching(/^ids must be an array of token ids .* 1 to 100 of them$/) });
      }
    });

    it('single and batch reveals share one budget of 10 a minute per user; another user keeps theirs', async () => {
      const c = await addUser(t.http, root, 'revealer');
      const tok = await createToken(t.app, t.http, c, { name: 'r' });
      for (let i = 0; i < 10; i++) {
        const request = i % 2 ? t.http.post(`/api/token/${tok.id}/key`) : t.http.post('/api/token/batch/keys').send({ ids: [tok.id] });
        await request.set(as(c)).expect(200);
      }
      for (const refused of [t.http.post(`/api/token/${tok.id}/key`), t.http.post('/api/token/batch/keys').send({ ids: [tok.id] })]) {
        const res = await refused.set(as(c)).expect(429);
        expect(res.body).toEqual({ success: false, message: expect.stringMatching(/^too many requests: at most 10 per 60 s/) });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      const d = await addUser(t.http, root, 'bystander');
      const theirs = await createToken(t.app, t.http, d, { name: 'd' });
      await t.http.post('/api/token/batch/keys').set(as(d)).send({ ids: [theirs.id] }).expect(200);
    });
  });

  describe('paging as new-api reads it (common GetPageQuery: p < 1 is page 1)', () => {
    it('GET /api/token/?p=0&page_size=100 is page 1; a negative p too; page_size 0 or below is the default', async () => {
      const pager = await addUser(t.http, root, 'pager');
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await createToken(t.app, t.http, pager, { name: `p${i}` }));
      const zero = await t.http.get('/api/token/?p=0&page_size=100').set(as(pager)).expect(200);
      expect(zero.body.data).toMatchObject({ page: 1, page_size: 100, total: 3 });
      expect(zero.body.data.items.map((x: { id: number }) => x.id)).toEqual(made.map((m) => m.id).reverse());
      expect((await t.http.get('/api/token/?p=-2&size=2').set(as(pager)).expect(200)).body.data).toMatchObject({ page: 1, page_size: 2 });
      expect((await t.http.get('/api/token/?p=1&page_size=0').set(as(pager)).expect(200)).body.data).toMatchObject({ page: 1, page_size: 20 });
      expect((await t.http.get('/api/token/?size=-5').set(as(pager)).expect(200)).body.data).toMatchObject({ page: 1, page_size: 20 });
      expect((await t.http.get('/api/token/?page_size=2&size=50').set(as(pager)).expect(200)).body.data.page_size).toBe(2);
    });
  });
});
