import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { Agent, request } from 'undici';
import { LedgerStore } from '../../src/metering/ledger-store';
import { QuotaLedger } from '../../src/metering/quota-ledger.service';
import { computeCost, parsePrice } from '../../src/prices/cost';
import { completionTokenBound, promptTokenBound } from '../../src/relay/request-estimate';
import { UserEntity } from '../../src/users/entities/user.entity';
import { addKey, createToken, tokenRow, usageRecords } from '../support/relay.builder';
import { StubUpstream, StubUsage } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const GPT35 = { model: 'gpt-3.5-turbo', inputMicro: parsePrice('2'), outputMicro: parsePrice('2') };
const IMAGE = { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } };

/** What a real upstream bills: a token per 4 bytes of text, 765 tokens per high-detail image, and as long an answer as allowed. */
function billed(body: any): StubUsage {
  let bytes = 0;
  let images = 0;
  for (const m of body.messages ?? []) {
    if (typeof m.content === 'string') bytes += Buffer.byteLength(m.content);
    else for (const part of m.content ?? []) part.type === 'image_url' ? images++ : (bytes += Buffer.byteLength(part.text ?? ''));
  }
  const wantsLong = JSON.stringify(body.messages).includes('at length');
  return { prompt_tokens: Math.ceil(bytes / 4) + 765 * images, completion_tokens: body.max_tokens ?? (wantsLong ? 3000 : 40) };
}

describe.each(testDatabases())('Metering v2 on %s', (_label, database) => {
  let t: TestApp;
  let stub: StubUpstream;
  let root: TestUser;
  let user: TestUser;
  let base: string;
  const agent = new Agent({ connections: 256 });

  beforeAll(async () => {
    stub = await StubUpstream.start();
    stub.record = false;
    t = await createTestApp(database());
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    root = await initRoot(t.http);
    user = await addUser(t.http, root, 'spender');
    await addKey(t.http, root, { key: 'sk-upstream-metering', endpoint: stub.baseUrl });
  });
  afterEach(() => stub.reset());
  afterAll(async () => {
    await agent.close();
    await t?.close();
    await stub?.close();
  });

  async function send(key: string, body: object): Promise<{ status: number; text: string }> {
    const res = await request(`${base}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  /** A user's row with `quota` as people see it (leases included), once settlements are written. */
  async function userRow(id: number): Promise<UserEntity> {
    await t.app.get(QuotaLedger).drain();
    const manager = t.app.get(DataSource).manager;
    const row = await manager.findOneByOrFail(UserEntity, { id });
    const leased = await LedgerStore.leased(manager, 'user', [id]);
    return { ...row, quota: row.quota === null ? null : row.quota + (leased.get(id) ?? 0) };
  }

  it('an upstream that bills what it is sent (765 tokens an image, long answers): 200 concurrent requests, stream and not, with and without max_tokens; every delivered token is charged and the balance goes below zero by at most the excess over the reservations', async () => {
    stub.usageFor = billed;
    const initial = 5_000;
    const token = await createToken(t.app, { userId: user.id, remainQuota: initial });
    const bodies = Array.from({ length: 200 }, (_, i) => {
      const image = { role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, IMAGE] };
      const long = { role: 'user', content: 'Tell me about the sea at length.' };
      const short = { role: 'user', content: 'hi' };
      switch (i % 4) {
        case 0: return { model: 'gpt-3.5-turbo', messages: [image], stream: true };
        case 1: return { model: 'gpt-3.5-turbo', messages: [image], max_tokens: 100 };
        case 2: return { model: 'gpt-3.5-turbo', messages: [long], stream: i % 8 === 2 };
        default: return { model: 'gpt-3.5-turbo', messages: [short], max_tokens: 20 };
      }
    });
    const answers = await Promise.all(bodies.map((body) => send(token.key, body)));
    expect(answers.filter((a) => a.status !== 200 && a.status !== 429)).toEqual([]);
    const admitted = bodies.filter((_, i) => answers[i].status === 200);
    expect(admitted.length).toBeGreaterThan(0);

    const row = await tokenRow(t.app, token.id);
    const records = await usageRecords(t.app, token.id);
    expect(records).toHaveLength(200);
    const delivered = admitted.map(billed);
    const ok = records.filter((r) => r.statusCode === 200);
    expect(ok.reduce((s, r) => s + r.promptTokens, 0)).toBe(delivered.reduce((s, u) => s + u.prompt_tokens, 0));
    expect(ok.reduce((s, r) => s + r.completionTokens, 0)).toBe(delivered.reduce((s, u) => s + u.completion_tokens, 0));
    for (const r of records) expect(Number(r.quota)).toBe(computeCost(r.promptTokens, r.completionTokens, GPT35).quota); // charged = delivered
    expect(row.usedQuota).toBe(records.reduce((s, r) => s + Number(r.quota), 0));
    expect(row.remainQuota + row.usedQuota).toBe(initial);

    // the documented debt bound: what the admitted requests cost beyond what each held
    const excess = admitted.reduce((sum, body, i) => {
      const held = computeCost(promptTokenBound('chat/completions', body, body.model), completionTokenBound('chat/completions', body, 512), GPT35).quota;
      const cost = computeCost(delivered[i].prompt_tokens, delivered[i].completion_tokens, GPT35).quota;
      return sum + Math.max(0, cost - held);
    }, 0);
    expect(row.remainQuota).toBeGreaterThanOrEqual(-excess);
    if (row.remainQuota < 0) expect((await send(token.key, bodies[3])).status).toBe(429); // in debt: refused until topped up
  });

  it("a user with quota 1,000 and an unlimited token: spending stops at the user's budget, and /1/me shows it", async () => {
    const spender = await addUser(t.http, root, 'budgeted');
    await t.http.patch(`/1/users/${spender.id}`).set(auth(root.token)).send({ quota: 1_000 }).expect(200);
    const token = await createToken(t.app, { userId: spender.id, unlimitedQuota: true });
    const chat = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 }; // holds 13 + 50 = 63, costs 5 + 50 = 55
    const statuses: number[] = [];
    let refusal = '';
    for (let i = 0; i < 25; i++) {
      const answer = await send(token.key, chat);
      statuses.push(answer.status);
      if (answer.status !== 200) refusal = answer.text;
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(18); // admitted while 1,000 - 55k >= 63
    expect(statuses.slice(18)).toEqual(Array(7).fill(429));
    expect(JSON.parse(refusal).error).toMatchObject({ code: 'insufficient_quota', message: expect.stringContaining("user's remaining budget") });
    expect(await userRow(spender.id)).toMatchObject({ quota: 1_000 - 18 * 55, usedQuota: 18 * 55, requestCount: 18 });
    const me = await t.http.get('/1/me').set(auth(spender.token)).expect(200);
    expect(me.body).toMatchObject({ quota: 10, used_quota: 990, request_count: 18 });

    await t.http.patch(`/1/users/${spender.id}`).set(auth(root.token)).send({ add_quota: 500 }).expect(200);
    expect((await send(token.key, chat)).status).toBe(200);
    await t.app.get(QuotaLedger).drain(); // the answer does not wait for its settlement
    expect((await t.http.get('/1/users').set(auth(root.token)).expect(200)).body.find((u: { id: number }) => u.id === spender.id)).toMatchObject({ quota: 455, used_quota: 1045 });
  });

  it('user budget input: quota and add_quota together, add_quota on an unlimited budget, a negative quota: 400 naming the field; null makes it unlimited', async () => {
    const u = await addUser(t.http, root, 'budget-input');
    expect((await t.http.patch(`/1/users/${u.id}`).set(auth(root.token)).send({ quota: 5, add_quota: 5 }).expect(400)).body.message).toMatch(/quota .*add_quota/);
    expect((await t.http.patch(`/1/users/${u.id}`).set(auth(root.token)).send({ add_quota: 5 }).expect(400)).body.message).toMatch(/^add_quota: /);
    expect((await t.http.patch(`/1/users/${u.id}`).set(auth(root.token)).send({ quota: -1 }).expect(400)).body.message).toMatch(/^quota /);
    expect((await t.http.patch(`/1/users/${u.id}`).set(auth(root.token)).send({ groups: ['bad group'] }).expect(400)).body.message).toMatch(/^groups /);
    await t.http.patch(`/1/users/${u.id}`).set(auth(root.token)).send({ quota: 7 }).expect(200);
    expect((await t.http.patch(`/1/users/${u.id}`).set(auth(root.token)).send({ quota: null }).expect(200)).body.quota).toBeNull();
    await t.http.patch(`/1/users/${u.id}`).set(auth(u.token)).send({ quota: 7 }).expect(403); // admins only
  });

  it('cached prompt tokens are billed at the cached-input price, and the record keeps the cached and reasoning counts', async () => {
    await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'gpt-4o', input: '2.5', output: '10', cached_input: '1.25' }] }).expect(200);
    stub.usage = { prompt_tokens: 1000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 400 }, completion_tokens_details: { reasoning_tokens: 60 } };
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    expect((await send(token.key, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 })).status).toBe(200);
    const [record] = await usageRecords(t.app, token.id);
    // 600 x 2.5 + 400 x 1.25 + 100 x 10 = 3,000 micro-USD = 1,500 quota (400 cached tokens at full price would be 2,000)
    expect(record).toMatchObject({ promptTokens: 1000, completionTokens: 100, cachedTokens: 400, reasoningTokens: 60, quota: 1500 });
    expect(Number(record.costUsd)).toBe(0.003);
    const logs = await t.http.get(`/1/usages/logs?token_id=${token.id}`).set(auth(root.token)).expect(200);
    expect(logs.body.items[0]).toMatchObject({ cachedTokens: 400, reasoningTokens: 60 });
  });

  it('prices match exactly, falling back only from a dated snapshot to its base model: o1-pro is not o1', async () => {
    await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'o1', input: '15', output: '60' }, { model: 'gpt-4', input: '30', output: '60' }] }).expect(200);
    const token = await createToken(t.app, { userId: user.id, remainQuota: 10_000_000 });
    const ask = (model: string) => send(token.key, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 });
    for (const model of ['o1-pro', 'gpt-4-32k', 'o1-preview']) {
      const answer = await ask(model);
      expect([model, answer.status, JSON.parse(answer.text).error?.code]).toEqual([model, 404, 'model_not_found']);
    }
    expect((await ask('o1-2024-12-17')).status).toBe(200);
    expect((await ask('gpt-4-0613')).status).toBe(200);
    const records = (await usageRecords(t.app, token.id)).filter((r) => r.statusCode === 200);
    // 5 prompt + 50 completion tokens: o1 at 15/60 → 3,075 micro-USD → 1,538 quota; gpt-4 at 30/60 → 3,150 → 1,575
    expect(records.map((r) => [r.model, Number(r.quota)])).toEqual([['o1-2024-12-17', 1538], ['gpt-4-0613', 1575]]);
  });

  it('an admin setting remain_quota replaces what is left, what leases held included', async () => {
    const token = await createToken(t.app, { userId: user.id, remainQuota: 100_000 });
    const chat = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 };
    expect((await send(token.key, chat)).status).toBe(200); // this instance now holds a lease on the token
    await t.app.get(QuotaLedger).drain();
    await t.http.put('/api/token/').set(auth(user.token, user.id)).send({ id: token.id, remain_quota: 1_000 }).expect(200);
    expect((await tokenRow(t.app, token.id)).remainQuota).toBe(1_000);
    expect((await send(token.key, chat)).status).toBe(200);
    const after = await tokenRow(t.app, token.id);
    expect(after.remainQuota).toBe(1_000 - 55);
    expect(after.usedQuota).toBe(110);
  });

  it('the expiry second, a stored status 3 or 4, and a key with or without sk-: the token list, the relay and /api/usage/token agree', async () => {
    const now = Math.floor(Date.now() / 1000);
    const chat = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 };
    const ending = await createToken(t.app, { userId: user.id, remainQuota: 100_000, expiredTime: now + 2 });
    const imported3 = await createToken(t.app, { userId: user.id, remainQuota: 100_000, status: 3 });
    const imported4 = await createToken(t.app, { userId: user.id, remainQuota: 100_000, status: 4 });
    const listed = async (id: number) => (await t.http.get(`/api/token/${id}`).set(auth(user.token, user.id)).expect(200)).body.data.status;
    for (const tok of [ending, imported3, imported4]) {
      expect(await listed(tok.id)).toBe(1);
      for (const key of [tok.key, tok.key.replace(/^sk-/, '')]) {
        expect((await send(key, chat)).status).toBe(200);
        await t.http.get('/api/usage/token').set(auth(key)).expect(200);
      }
    }
    await new Promise((r) => setTimeout(r, (now + 3 - Date.now() / 1000) * 1000)); // past the expiry second
    expect(await listed(ending.id)).toBe(3);
    expect(JSON.parse((await send(ending.key, chat)).text).error.code).toBe('token_expired');
    const usage = await t.http.get('/api/usage/token').set(auth(ending.key.replace(/^sk-/, ''))).expect(200); // read-only: any status sees its usage
    expect(usage.body.data.expires_at).toBe(now + 2);
  });
});
