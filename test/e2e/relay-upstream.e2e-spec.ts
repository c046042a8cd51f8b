import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { addKey, clearKeys, createToken, eventually, tokenRow, usageRecords } from '../support/relay.builder';
import { FAULTS, StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const CHAT = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 };

describe.each(testDatabases())('Relay upstream handling on %s', (_label, database) => {
  let t: TestApp;
  let stub: StubUpstream;
  let root: TestUser;
  let user: TestUser;
  let base: string;

  beforeAll(async () => {
    stub = await StubUpstream.start();
    t = await createTestApp(database());
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    root = await initRoot(t.http);
    user = await addUser(t.http, root, 'u1');
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });
  beforeEach(async () => {
    stub.reset();
    await clearKeys(t.http, root);
  });

  /** Two keys on the stub: `first` (priority 10, tried first) and `second` (priority 0). */
  async function twoKeys(): Promise<{ first: number; second: number }> {
    const first = await addKey(t.http, root, { key: 'sk-first-key-0001', name: 'first', endpoint: stub.baseUrl, priority: 10 });
    const second = await addKey(t.http, root, { key: 'sk-second-key-0002', name: 'second', endpoint: stub.baseUrl, priority: 0 });
    return { first: first.id, second: second.id };
  }

  const secretsTried = () => stub.requests.map((r) => r.headers.authorization);

  it.each([
    ['500', FAULTS.serverError],
    ['429', FAULTS.rateLimited],
    ['a connection reset', FAULTS.reset],
  ])('fails over to the next key after %s; the record names the key that answered', async (_name, fault) => {
    const keys = await twoKeys();
    stub.failKey('sk-first-key-0001', fault);
    const token = await createToken(t.app, { userId: user.id, remainQuota: 10_000 });
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
    expect(secretsTried()).toEqual(['Bearer sk-first-key-0001', 'Bearer sk-second-key-0002']);
    const [record] = await usageRecords(t.app, token.id);
    expect(record).toMatchObject({ keyId: keys.second, statusCode: 200, quota: 55 });
    const list = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
    expect(list.body.find((k: { id: number }) => k.id === keys.first).status).toBe(1);
  });

  it('never retries once bytes reached the client: a stream cut mid-way ends there, on the one key, charged for what was delivered', async () => {
    await twoKeys();
    stub.failKey('sk-first-key-0001', FAULTS.cutMidStream);
    const token = await createToken(t.app, { userId: user.id, remainQuota: 10_000 });
    const res = await t.http.post('/v1/chat/completions').set(auth(token.key)).send({ ...CHAT, stream: true });
    expect(res.status).toBe(200);
    expect(res.text).toContain('chatcmpl-stub');
    expect(res.text).not.toContain('[DONE]');
    expect(secretsTried()).toEqual(['Bearer sk-first-key-0001']); // the second key was never tried
    const [record] = await usageRecords(t.app, token.id);
    expect(record.statusCode).toBe(502);
    expect(record.completionTokens).toBeGreaterThan(0);
    expect(record.completionTokens).toBeLessThan(50);
    expect((await tokenRow(t.app, token.id)).remainQuota).toBe(10_000 - record.quota);
  });

  it('gives up after RELAY_MAX_RETRIES (2) further keys: 502 in OpenAI shape, full refund, one record with quota 0', async () => {
    for (let i = 0; i < 4; i++) await addKey(t.http, root, { key: `sk-broken-${i}-000`, endpoint: stub.baseUrl });
    stub.failNext(FAULTS.serverError, 10);
    const token = await createToken(t.app, { userId: user.id, remainQuota: 10_000 });
    const res = await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(502);
    expect(res.body.error).toMatchObject({ code: 'upstream_error', type: 'api_error' });
    expect(stub.requests).toHaveLength(3);
    expect(await tokenRow(t.app, token.id)).toMatchObject({ remainQuota: 10_000, usedQuota: 0 });
    const records = await usageRecords(t.app, token.id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ statusCode: 502, quota: 0, promptTokens: 0, completionTokens: 0 });
  });

  it('auto-disables a key answered with 401 (status 3, last_error kept) and serves from the next one', async () => {
    const keys = await twoKeys();
    stub.failKey('sk-first-key-0001', FAULTS.unauthorized);
    const token = await createToken(t.app, { userId: user.id });
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
    const list = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
    const first = list.body.find((k: { id: number }) => k.id === keys.first);
    expect(first).toMatchObject({ status: 3, last_error: expect.stringContaining('401') });
    stub.requests.length = 0;
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
    expect(secretsTried()).toEqual(['Bearer sk-second-key-0002']);
    await t.http.patch(`/1/keys/${keys.first}`).set(auth(root.token)).send({ status: 1 }).expect(200);
    const again = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
    expect(again.body.find((k: { id: number }) => k.id === keys.first)).toMatchObject({ status: 1, last_error: '' });
  });

  it('auto-disables a key answered with insufficient_quota; with no key left the client gets 503', async () => {
    const only = await addKey(t.http, root, { key: 'sk-poor-key-0001', endpoint: stub.baseUrl });
    stub.failKey('sk-poor-key-0001', FAULTS.insufficientQuota);
    const token = await createToken(t.app, { userId: user.id, remainQuota: 10_000 });
    const res = await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(503);
    expect(res.body.error.code).toBe('upstream_key_refused');
    const list = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
    expect(list.body.find((k: { id: number }) => k.id === only.id)).toMatchObject({ status: 3, last_error: expect.stringContaining('quota') });
    const next = await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(503);
    expect(next.body.error.code).toBe('no_available_key');
    expect(await tokenRow(t.app, token.id)).toMatchObject({ remainQuota: 10_000, usedQuota: 0 });
  });

  it('passes an upstream 400 through without retrying and charges nothing', async () => {
    await twoKeys();
    stub.failNext({ kind: 'status', status: 400, code: 'context_length_exceeded', message: 'too long' });
    const token = await createToken(t.app, { userId: user.id, remainQuota: 10_000 });
    const res = await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(400);
    expect(res.body.error).toMatchObject({ code: 'context_length_exceeded', message: 'too long' });
    expect(stub.requests).toHaveLength(1);
    expect(await tokenRow(t.app, token.id)).toMatchObject({ remainQuota: 10_000, usedQuota: 0 });
    expect((await usageRecords(t.app, token.id))[0]).toMatchObject({ statusCode: 400, quota: 0 });
  });

  it('Azure: deployment URL with api-version, api-key header, no Authorization, no stream_options', async () => {
    await addKey(t.http, root, {
      key: 'azure-secret-key-1234',
      api_type: 'azure_openai',
      endpoint: stub.origin,
      api_version: '2024-06-01',
      deployments: { 'gpt-3.5-turbo': 'my-gpt35' },
    });
    const token = await createToken(t.app, { userId: user.id });
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
    await t.http.post('/v1/embeddings').set(auth(token.key)).send({ model: 'text-embedding-3-small', input: 'x' }).expect(200);
    const res = await t.http.post('/v1/chat/completions').set(auth(token.key)).send({ ...CHAT, stream: true }).expect(200);
    expect(res.text).toContain('data: [DONE]');
    expect(stub.requests.map((r) => r.url)).toEqual([
      '/openai/deployments/my-gpt35/chat/completions?api-version=2024-06-01',
      '/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-06-01',
      '/openai/deployments/my-gpt35/chat/completions?api-version=2024-06-01',
    ]);
    for (const r of stub.requests) {
      expect(r.headers['api-key']).toBe('azure-secret-key-1234');
      expect(r.headers.authorization).toBeUndefined();
    }
    expect(stub.requests[2].body.stream_options).toBeUndefined();
    // no usage event from Azure here: counted with the tokenizer
    await eventually(async () => expect((await usageRecords(t.app, token.id)).length).toBe(3));
    expect((await usageRecords(t.app, token.id))[2].completionTokens).toBeGreaterThan(0);
  });

  it('client abort before the answer: the upstream request is aborted, the reservation refunded, one 499 record', async () => {
    await twoKeys();
    stub.failNext({ kind: 'slow', ms: 2000 });
    const token = await createToken(t.app, { userId: user.id, remainQuota: 10_000 });
    const controller = new AbortController();
    const pending = undiciRequest(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(CHAT),
      signal: controller.signal,
    }).catch((e: Error) => e);
    await eventually(() => expect(stub.requests).toHaveLength(1));
    controller.abort();
    expect(await pending).toHaveProperty('name', 'AbortError');
    await eventually(async () => expect(await usageRecords(t.app, token.id)).toHaveLength(1));
    expect((await usageRecords(t.app, token.id))[0]).toMatchObject({ statusCode: 499, quota: 0 });
    expect(await tokenRow(t.app, token.id)).toMatchObject({ remainQuota: 10_000, usedQuota: 0 });
    await eventually(() => expect(stub.abortedByCaller).toBe(1));
    expect(stub.requests).toHaveLength(1);
  });

  it('client abort mid-stream: upstream aborted, only the delivered part charged, the rest refunded', async () => {
    await twoKeys();
    stub.failNext(FAULTS.hang);
    const token = await createToken(t.app, { userId: user.id, remainQuota: 10_000 });
    const controller = new AbortController();
    const res = await undiciRequest(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...CHAT, stream: true }),
      signal: controller.signal,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    for await (const chunk of res.body) {
      expect(String(chunk)).toContain('data: ');
      break; // first chunk arrived while upstream still streams: it was passed through, not buffered
    }
    controller.abort();
    await eventually(async () => expect(await usageRecords(t.app, token.id)).toHaveLength(1));
    const [record] = await usageRecords(t.app, token.id);
    expect(record.statusCode).toBe(499);
    expect(record.isStream).toBe(true);
    expect(record.completionTokens).toBeGreaterThan(0);
    expect(record.quota).toBeLessThan(50);
    const row = await tokenRow(t.app, token.id);
    expect(row.usedQuota).toBe(record.quota);
    expect(row.remainQuota).toBe(10_000 - record.quota);
    await eventually(() => expect(stub.abortedByCaller).toBe(1));
  });
});
