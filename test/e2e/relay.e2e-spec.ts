import OpenAI from 'openai';
import type { AddressInfo } from 'node:net';
import { countTokens } from 'gpt-tokenizer';
import { createToken, addKey, eventually, tokenRow, usageRecords } from '../support/relay.builder';
import { STUB_REPLY, StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const MESSAGES = [{ role: 'user' as const, content: 'Say hello' }];

describe.each(testDatabases())('Relay through the openai client on %s', (_label, database) => {
  let t: TestApp;
  let stub: StubUpstream;
  let root: TestUser;
  let user: TestUser;
  let baseURL: string;

  beforeAll(async () => {
    stub = await StubUpstream.start();
    t = await createTestApp(database());
    await t.app.listen(0, '127.0.0.1');
    baseURL = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/v1`;
    root = await initRoot(t.http);
    user = await addUser(t.http, root, 'u1');
    await addKey(t.http, root, { key: 'sk-upstream-secret-0001', name: 'stub', api_type: 'openai', endpoint: stub.baseUrl });
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });
  beforeEach(() => stub.reset());

  function client(key: string): OpenAI {
    return new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
  }

  it('chat completion (JSON): relays the answer, charges 55 tokens = 55 quota exactly, writes one complete usage record', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const answer = await client(token.key).chat.completions.create({ model: 'gpt-3.5-turbo', messages: MESSAGES, max_tokens: 100 });
    expect(answer.choices[0].message.content).toBe(STUB_REPLY);
    expect(answer.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 50, total_tokens: 55 });

    const sent = stub.requests[0];
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-secret-0001');
    expect(sent.body).toMatchObject({ model: 'gpt-3.5-turbo', messages: MESSAGES, max_tokens: 100 });

    const row = await tokenRow(t.app, token.id);
    expect(row.remainQuota).toBe(100_000 - 55);
    expect(row.usedQuota).toBe(55);
    expect(row.accessedTime).toBeGreaterThan(0);
    const records = await usageRecords(t.app, token.id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      userId: user.id,
      tokenId: token.id,
      keyId: expect.any(Number),
      model: 'gpt-3.5-turbo',
      promptTokens: 5,
      completionTokens: 50,
      totalTokens: 55,
      quota: 55,
      statusCode: 200,
      isStream: false,
      ip: expect.stringMatching(/127\.0\.0\.1/),
      requestId: expect.stringMatching(/.+/),
    });
    expect(Number(records[0].costUsd)).toBeCloseTo(0.00011, 10);
    // SQLite's NUMERIC affinity hands decimals back as numbers; MariaDB keeps the exact 10 places.
    if (_label === 'mariadb') expect(String(records[0].costUsd)).toBe('0.0001100000');
    expect(records[0].latencyMs).toBeGreaterThanOrEqual(0);
    // written and read back as UTC on every database (MySQL's settlement text formats dates itself)
    expect(Math.abs(new Date(records[0].createdAt).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('chat completion (stream): chunks arrive through the client, include_usage is requested upstream, the usage event settles the charge', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const stream = await client(token.key).chat.completions.create({ model: 'gpt-3.5-turbo', messages: MESSAGES, stream: true });
    let text = '';
    let chunks = 0;
    let usageChunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usageChunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(text).toBe(STUB_REPLY);
    expect(chunks).toBeGreaterThan(5);
    expect(usageChunks).toBe(0); // the client did not ask for usage: the relay's own request for it stays hidden
    expect(stub.requests[0].body.stream_options).toEqual({ include_usage: true });
    await eventually(async () => expect((await usageRecords(t.app, token.id)).length).toBe(1));
    const [record] = await usageRecords(t.app, token.id);
    expect(record).toMatchObject({ isStream: true, promptTokens: 5, completionTokens: 50, quota: 55, statusCode: 200 });
    expect((await tokenRow(t.app, token.id)).remainQuota).toBe(100_000 - 55);
  });

  it('a client that asks for stream_options.include_usage gets the usage event', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const stream = await client(token.key).chat.completions.create({
      model: 'gpt-3.5-turbo',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    const usages = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: 5, completion_tokens: 50 })]);
  });

  it('stream without a usage event: completion tokens are counted with the tokenizer', async () => {
    stub.streamUsage = false;
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const stream = await client(token.key).chat.completions.create({ model: 'gpt-3.5-turbo', messages: MESSAGES, stream: true });
    for await (const _ of stream) void _;
    await eventually(async () => expect((await usageRecords(t.app, token.id)).length).toBe(1));
    const [record] = await usageRecords(t.app, token.id);
    expect(record.completionTokens).toBe(countTokens(STUB_REPLY));
    expect(record.promptTokens).toBeGreaterThan(0);
    expect(record.quota).toBe(record.promptTokens + record.completionTokens);
    const row = await tokenRow(t.app, token.id);
    expect(row.remainQuota + row.usedQuota).toBe(100_000);
    expect(row.usedQuota).toBe(record.quota);
  });

  it('JSON answer without usage: the reply is counted with the tokenizer', async () => {
    stub.jsonUsage = false;
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    await client(token.key).chat.completions.create({ model: 'gpt-3.5-turbo', messages: MESSAGES });
    const [record] = await usageRecords(t.app, token.id);
    expect(record.completionTokens).toBe(countTokens(STUB_REPLY));
    expect((await tokenRow(t.app, token.id)).usedQuota).toBe(record.quota);
  });

  it('embeddings: input tokens only', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const res = await client(token.key).embeddings.create({ model: 'text-embedding-3-small', input: ['hello', 'world'] });
    expect(res.data).toHaveLength(2);
    const [record] = await usageRecords(t.app, token.id);
    // 5 tokens at 0.02 USD / 1M = 0.0000001 USD → 0.05 quota → 1
    expect(record).toMatchObject({ model: 'text-embedding-3-small', promptTokens: 5, completionTokens: 0, quota: 1, isStream: false });
    expect(Number(record.costUsd)).toBeCloseTo(0.0000001, 12);
  });

  it('legacy completions (JSON and stream) through the client', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const res = await client(token.key).completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', max_tokens: 60 });
    expect(res.choices[0].text).toBe(STUB_REPLY);
    const stream = await client(token.key).completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text).toBe(STUB_REPLY);
    await eventually(async () => expect((await usageRecords(t.app, token.id)).length).toBe(2));
  });

  it('GET /v1/models lists the models the token may use that an enabled key serves', async () => {
    const any = await createToken(t.app, { userId: user.id });
    const list = await client(any.key).models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-3.5-turbo', 'gpt-4o']));
    const limited = await createToken(t.app, { userId: user.id, modelLimits: ['gpt-4o'] });
    const only = await client(limited.key).models.list();
    expect(only.data.map((m) => m.id)).toEqual(['gpt-4o']);
  });

  it("the key that answered shows when it was last used (GET /1/keys' last_used_at, unix seconds)", async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const before = Math.floor(Date.now() / 1000);
    await client(token.key).chat.completions.create({ model: 'gpt-3.5-turbo', messages: MESSAGES, max_tokens: 10 });
    const keys = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
    const used = (keys.body as { name: string; last_used_at: number }[]).find((k) => k.name === 'stub');
    expect(used?.last_used_at).toBeGreaterThanOrEqual(before);
    expect(used?.last_used_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('the Responses API (JSON): relayed and metered like chat, cached and reasoning tokens recorded', async () => {
    stub.usage = { prompt_tokens: 40, completion_tokens: 15, prompt_tokens_details: { cached_tokens: 8 }, completion_tokens_details: { reasoning_tokens: 5 } };
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const response = await client(token.key).responses.create({ model: 'gpt-3.5-turbo', input: 'Say hello', max_output_tokens: 100 });
    expect(response.output_text).toBe(STUB_REPLY);
    expect(stub.requests[0]).toMatchObject({ url: '/v1/responses', body: { model: 'gpt-3.5-turbo', input: 'Say hello', max_output_tokens: 100 } });
    const [record] = await usageRecords(t.app, token.id);
    expect(record).toMatchObject({ model: 'gpt-3.5-turbo', promptTokens: 40, completionTokens: 15, cachedTokens: 8, reasoningTokens: 5, quota: 55, statusCode: 200, isStream: false });
  });

  it('the Responses API (stream): events pass through as they come, response.completed settles the charge', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const stream = await client(token.key).responses.create({ model: 'gpt-3.5-turbo', input: [{ role: 'user', content: 'Say hello' }], stream: true });
    let text = '';
    let completed = false;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = true;
    }
    expect([text, completed]).toEqual([STUB_REPLY, true]);
    expect(stub.requests[0].body.stream_options).toBeUndefined(); // nothing injected: the Responses API always reports usage
    const [record] = await usageRecords(t.app, token.id);
    expect(record).toMatchObject({ promptTokens: 5, completionTokens: 50, quota: 55, isStream: true });
    expect((await tokenRow(t.app, token.id)).remainQuota).toBe(100_000 - 55);
  });

  it('GET /v1/models/{id}: a model the token may use, else a typed 404 model_not_found', async () => {
    const limited = await createToken(t.app, { userId: user.id, modelLimits: ['gpt-4o'] });
    expect(await client(limited.key).models.retrieve('gpt-4o')).toMatchObject({ id: 'gpt-4o', object: 'model' });
    await expect(client(limited.key).models.retrieve('gpt-3.5-turbo')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client(limited.key).models.retrieve('no-such-model')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('an unknown model is a typed 404 model_not_found, as OpenAI answers', async () => {
    const token = await createToken(t.app, { userId: user.id });
    const refused = await client(token.key).chat.completions.create({ model: 'no-such-model', messages: MESSAGES }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.NotFoundError);
    expect(refused).toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('refusals that cannot succeed on retry say x-should-retry: false, and the SDK does not retry them (an exhausted quota included)', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 1 });
    const retrying = new OpenAI({ apiKey: token.key, baseURL, maxRetries: 2 });
    const started = Date.now();
    const refused = await retrying.chat.completions.create({ model: 'gpt-3.5-turbo', messages: MESSAGES }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect((refused as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('false');
    expect(Date.now() - started).toBeLessThan(400); // the SDK's first retry would wait 0.5 s or more
    expect(await usageRecords(t.app, token.id)).toHaveLength(1); // asked once
    for (const [key, status] of [['sk-not-a-key', 401], [token.key, 404]] as const) {
      const res = await t.http.post('/v1/chat/completions').set(auth(key)).send({ model: status === 404 ? 'no-such-model' : 'gpt-3.5-turbo', messages: MESSAGES }).expect(status);
      expect(res.headers['x-should-retry']).toBe('false');
    }
  });

  it('x-api-key works as well as Authorization: Bearer', async () => {
    const token = await createToken(t.app, { userId: user.id });
    const res = await t.http.post('/v1/chat/completions').set('x-api-key', token.key).send({ model: 'gpt-3.5-turbo', messages: MESSAGES }).expect(200);
    expect(res.body.choices[0].message.content).toBe(STUB_REPLY);
    await t.http.get('/v1/models').set(auth(token.key)).expect(200);
  });
});
