import { DataSource } from 'typeorm';
import { InvalidationBus } from '../../src/common/cache/invalidation-bus';
import { TokenEntity } from '../../src/tokens/entities/token.entity';
import { addKey, createToken, tokenRow, usageRecords } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const CHAT = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 };

describe.each(testDatabases({ withMemory: true }))('Relay refusals on %s', (_label, database) => {
  let t: TestApp;
  let stub: StubUpstream;
  let root: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    stub = await StubUpstream.start();
    t = await createTestApp(database());
    root = await initRoot(t.http);
    user = await addUser(t.http, root, 'u1');
    await addKey(t.http, root, { key: 'sk-upstream-default', endpoint: stub.baseUrl, models: ['gpt-3.5-turbo', 'gpt-4o', 'unpriced-model'] });
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  async function refused(key: string | undefined, status: number, code: string, body: object = CHAT, headers: Record<string, string> = {}) {
    const req = t.http.post('/v1/chat/completions').set(headers);
    if (key) req.set(auth(key));
    const res = await req.send(body).expect(status);
    expect(res.body).toEqual({ error: { message: expect.any(String), type: expect.any(String), code } });
    return res.body.error.message as string;
  }

  it('401 missing_api_key without a key, 401 invalid_api_key for an unknown one (OpenAI error shape)', async () => {
    expect(await refused(undefined, 401, 'missing_api_key')).toMatch(/missing API key/);
    expect(await refused('sk-' + 'x'.repeat(48), 401, 'invalid_api_key')).toMatch(/invalid API key/);
    const models = await t.http.get('/v1/models').expect(401);
    expect(models.body.error.code).toBe('missing_api_key');
  });

  it('401 token_disabled and 401 token_expired', async () => {
    const disabled = await createToken(t.app, { userId: user.id, status: 2 });
    expect(await refused(disabled.key, 401, 'token_disabled')).toMatch(/disabled/);
    const expired = await createToken(t.app, { userId: user.id, expiredTime: Math.floor(Date.now() / 1000) - 10 });
    expect(await refused(expired.key, 401, 'token_expired')).toMatch(/expired/);
  });

  it('a token disabled after it was cached is refused at once (invalidation)', async () => {
    const token = await createToken(t.app, { userId: user.id });
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
    await t.app.get(DataSource).getRepository(TokenEntity).update({ id: token.id }, { status: 2 });
    t.app.get(InvalidationBus).publish({ topic: 'token', id: token.id });
    await refused(token.key, 401, 'token_disabled');
  });

  it('401 user_deleted once the owner is deleted, even for a cached token', async () => {
    const owner = await addUser(t.http, root, 'doomed');
    const token = await createToken(t.app, { userId: owner.id });
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
    await t.http.delete(`/1/users/${owner.id}`).set(auth(root.token)).expect(200);
    expect(await refused(token.key, 401, 'user_deleted')).toMatch(/deleted/);
  });

  it('403 ip_not_allowed for a client outside allow_ips; X-Forwarded-For is ignored without TRUST_PROXY', async () => {
    const token = await createToken(t.app, { userId: user.id, allowIps: ['10.1.2.3', '192.168.0.0/16'] });
    expect(await refused(token.key, 403, 'ip_not_allowed', CHAT, { 'X-Forwarded-For': '10.1.2.3' })).toMatch(/127\.0\.0\.1|::1/);
    const local = await createToken(t.app, { userId: user.id, allowIps: ['127.0.0.1', '::1'] });
    await t.http.post('/v1/chat/completions').set(auth(local.key)).send(CHAT).expect(200);
  });

  it('403 model_not_allowed for a model outside enabled model limits', async () => {
    const token = await createToken(t.app, { userId: user.id, modelLimits: ['gpt-4o'] });
    expect(await refused(token.key, 403, 'model_not_allowed')).toMatch(/gpt-3\.5-turbo/);
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send({ ...CHAT, model: 'gpt-4o' }).expect(200);
  });

  it('429 insufficient_quota when the reservation does not fit; nothing is charged, the refusal is recorded with quota 0', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 20 });
    expect(await refused(token.key, 429, 'insufficient_quota')).toMatch(/insufficient quota/);
    const empty = await createToken(t.app, { userId: user.id, remainQuota: 0 });
    await refused(empty.key, 429, 'insufficient_quota');
    expect(await tokenRow(t.app, token.id)).toMatchObject({ remainQuota: 20, usedQuota: 0 });
    for (const id of [token.id, empty.id]) {
      const recorded = await usageRecords(t.app, id);
      expect(recorded).toHaveLength(1); // the refusal itself is on the record, charging nothing
      expect(recorded[0]).toMatchObject({ statusCode: 429, quota: 0, totalTokens: 0, keyId: null });
    }
  });

  it('unlimited tokens are not limited by remain_quota and reserve nothing; used_quota still counts', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 0, unlimitedQuota: true });
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
    expect(await tokenRow(t.app, token.id)).toMatchObject({ remainQuota: 0, usedQuota: 55 });
  });

  it("403 group_not_allowed for a token in a group its owner may not use; the token works once an admin grants the group", async () => {
    const token = await createToken(t.app, { userId: user.id, group: 'team-x' });
    expect(await refused(token.key, 403, 'group_not_allowed')).toMatch(/group/);
    await t.http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ groups: ['default', 'team-x'] }).expect(200);
    await refused(token.key, 503, 'no_available_key'); // allowed now; no key serves team-x
    await t.http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ groups: ['default'] }).expect(200);
    await refused(token.key, 403, 'group_not_allowed');
  });

  it("503 no_available_key when no enabled key of the token's group serves the model", async () => {
    await t.http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ groups: 'default,vip' }).expect(200);
    const token = await createToken(t.app, { userId: user.id, group: 'vip' });
    expect(await refused(token.key, 503, 'no_available_key')).toMatch(/gpt-3\.5-turbo/);
    const other = await createToken(t.app, { userId: user.id });
    await refused(other.key, 503, 'no_available_key', { ...CHAT, model: 'gpt-4.1' });
  });

  it('400 for an unpriced model (no DEFAULT_MODEL_PRICE) and for a body without model or messages', async () => {
    const token = await createToken(t.app, { userId: user.id });
    expect(await refused(token.key, 404, 'model_not_found', { ...CHAT, model: 'unpriced-model' })).toMatch(/PUT \/1\/prices/);
    expect(await refused(token.key, 400, 'invalid_request', { messages: [] })).toMatch(/model/);
    expect(await refused(token.key, 400, 'invalid_request', { model: 'gpt-3.5-turbo' })).toMatch(/messages/);
  });

  it('400 naming the field for numbers past the documented ranges (1e308, 2^60, fractions, strings), the quota untouched', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 1_000_000 });
    const cases: [object, RegExp][] = [
      [{ ...CHAT, n: 1e308 }, /^n must be an integer from 1 to 128$/],
      [{ ...CHAT, n: 0 }, /^n must be an integer from 1 to 128$/],
      [{ ...CHAT, max_tokens: 1e308 }, /^max_tokens must be an integer from 0 to 1000000$/],
      [{ ...CHAT, max_tokens: 2 ** 60 }, /^max_tokens must be an integer from 0 to 1000000$/],
      [{ ...CHAT, max_tokens: 1.5 }, /^max_tokens /],
      [{ ...CHAT, max_completion_tokens: -1 }, /^max_completion_tokens must be an integer from 0 to 1000000$/],
      [{ ...CHAT, max_completion_tokens: '100' }, /^max_completion_tokens /],
      [{ ...CHAT, stream: 'yes' }, /^stream must be a boolean$/],
      [{ model: 'gpt-3.5-turbo-instruct', prompt: 'hi', n: 129 }, /^n /],
    ];
    for (const [body, message] of cases) {
      const path = 'prompt' in body ? '/v1/completions' : '/v1/chat/completions';
      const res = await t.http.post(path).set(auth(token.key)).send(body).expect(400);
      expect(res.body.error).toEqual({ message: expect.stringMatching(message), type: 'invalid_request_error', code: 'invalid_request' });
    }
    expect((await tokenRow(t.app, token.id)).remainQuota).toBe(1_000_000);
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send({ ...CHAT, n: 128, max_tokens: null, max_completion_tokens: 1_000 }).expect(200);
  });

  it('a price change applies to the next request (price invalidation)', async () => {
    await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'gpt-4o', input: '10', output: '10' }] }).expect(200);
    const token = await createToken(t.app, { userId: user.id });
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send({ ...CHAT, model: 'gpt-4o' }).expect(200);
    // 55 tokens x 10 USD / 1M = 0.00055 USD = 275 quota
    expect((await usageRecords(t.app, token.id))[0].quota).toBe(275);
  });
});
