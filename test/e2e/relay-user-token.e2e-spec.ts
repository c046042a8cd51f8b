import OpenAI from 'openai';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { QuotaLedger } from '../../src/metering/quota-ledger.service';
import { UsageRecordEntity } from '../../src/usages/entities/usage-record.entity';
import { addKey } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

/**
 * opencatd's team flow (seed 003): root adds a user (`POST /1/users`), hands out the user's token,
 * and the user points an OpenAI client at `/v1` with it.
 */
describe.each(testDatabases())("The relay with a user's own access token (seed 003, opencatd) on %s", (_label, database) => {
  let t: TestApp;
  let stub: StubUpstream;
  let root: TestUser;
  let baseURL: string;
  const chat = { model: 'gpt-3.5-turbo', messages: [{ role: 'user' as const, content: 'Say hello' }], max_tokens: 100 };

  beforeAll(async () => {
    stub = await StubUpstream.start();
    t = await createTestApp(database());
    await t.app.listen(0, '127.0.0.1');
    baseURL = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/v1`;
    root = await initRoot(t.http);
    await addKey(t.http, root, { key: 'sk-upstream-team', name: 'team', endpoint: stub.baseUrl });
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  const client = (key: string) => new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
  const records = async (userId: number) => {
    await t.app.get(QuotaLedger).drain();
    return t.app.get(DataSource).getRepository(UsageRecordEntity).find({ where: { userId }, order: { id: 'ASC' } });
  };

  it("relays as that user: charged to the user's budget, recorded with token_id null and shown under the user in /1/usages", async () => {
    const member = await addUser(t.http, root, 'member');
    await t.http.patch(`/1/users/${member.id}`).set(auth(root.token)).send({ quota: 10_000 }).expect(200);
    const answer = await client(member.token).chat.completions.create(chat);
    expect(answer.usage?.total_tokens).toBe(55);
    const [record] = await records(member.id);
    expect(record).toMatchObject({ userId: member.id, tokenId: null, quota: 55, statusCode: 200 });
    const me = await t.http.get('/1/me').set(auth(member.token)).expect(200);
    expect(me.body).toMatchObject({ quota: 10_000 - 55, used_quota: 55, request_count: 1 });
    const day = new Date().toISOString().slice(0, 10);
    const next = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const usages = await t.http.get(`/1/usages?from=${day}&to=${next}`).set(auth(root.token)).expect(200);
    expect(usages.body).toContainEqual({ userId: member.id, totalUnit: 55, cost: '0.000110' });
    const logs = await t.http.get(`/1/usages/logs?user_id=${member.id}`).set(auth(root.token)).expect(200);
    expect(logs.body.items[0]).toMatchObject({ userId: member.id, tokenId: null });
  });

  it("no token-level limits, but the user's budget and groups hold: spending stops at its quota", async () => {
    const member = await addUser(t.http, root, 'capped');
    await t.http.patch(`/1/users/${member.id}`).set(auth(root.token)).send({ quota: 200 }).expect(200); // each holds 20 + 100 = 120 and costs 55
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await client(member.token).chat.completions.create(chat).then(() => 200, (e: { status: number }) => e.status));
    expect(statuses).toEqual([200, 200, 429, 429]); // 200, then 145 cover a hold; 90 does not
  });

  it('a reset, deleted or disabled user is refused at once; a session token is never accepted on /v1', async () => {
    const member = await addUser(t.http, root, 'leaver');
    await client(member.token).chat.completions.create(chat);
    const reset = await t.http.post(`/1/users/${member.id}/reset`).set(auth(root.token)).expect(200);
    await expect(client(member.token).chat.completions.create(chat)).rejects.toMatchObject({ status: 401 });
    await client(reset.body.token).chat.completions.create(chat);
    await t.http.patch(`/1/users/${member.id}`).set(auth(root.token)).send({ status: 2 }).expect(200);
    await expect(client(reset.body.token).chat.completions.create(chat)).rejects.toMatchObject({ status: 401 });

    const walker = await addUser(t.http, root, 'walker');
    await t.http.put('/1/me/password').set(auth(walker.token)).send({ password: 'a-long-password-1' }).expect(200);
    const session = await t.http.post('/1/login').send({ name: 'walker', password: 'a-long-password-1' }).expect(200);
    await expect(client(session.body.access_token).chat.completions.create(chat)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    await client(walker.token).chat.completions.create(chat); // the access token itself works
  });
});
