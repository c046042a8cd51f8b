import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { addKey, createToken, tokenRow, usageRecords } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot } from '../support/users.builder';

const CHAT = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 };
const PER_REQUEST = 55; // the stub reports 5 + 50 tokens; gpt-3.5-turbo at 2 USD / 1M → 55 quota

describe.each(testDatabases({ withMemory: true }))('Relay metering under concurrency on %s', (_label, database) => {
  let t: TestApp;
  let stub: StubUpstream;
  let base: string;
  let userId: number;
  const agent = new Agent({ connections: 256 });

  beforeAll(async () => {
    stub = await StubUpstream.start();
    stub.record = false;
    t = await createTestApp(database());
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const root = await initRoot(t.http);
    userId = (await addUser(t.http, root, 'u1')).id;
    await addKey(t.http, root, { key: 'sk-upstream-concurrency', endpoint: stub.baseUrl });
  });
  afterAll(async () => {
    await agent.close();
    await t?.close();
    await stub?.close();
  });

  async function fire(key: string, n: number, body: object = CHAT): Promise<number[]> {
    return Promise.all(
      Array.from({ length: n }, async () => {
        const res = await request(`${base}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        await res.body.text();
        return res.statusCode;
      }),
    );
  }

  it('200 concurrent requests on a quota that covers 50: never below zero, never more charged than was there, books balance', async () => {
    const initial = 50 * PER_REQUEST;
    const token = await createToken(t.app, { userId, remainQuota: initial });
    const statuses = await fire(token.key, 200);
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(50);

    const row = await tokenRow(t.app, token.id);
    expect(row.remainQuota).toBeGreaterThanOrEqual(0);
    expect(row.usedQuota).toBeLessThanOrEqual(initial);
    expect(row.remainQuota + row.usedQuota).toBe(initial);
    expect(row.usedQuota).toBe(ok * PER_REQUEST);
    const records = await usageRecords(t.app, token.id);
    expect(records).toHaveLength(200); // one record per request, refusals included
    expect(records.filter((r) => r.statusCode === 200)).toHaveLength(ok);
    expect(records.filter((r) => r.statusCode === 429).every((r) => Number(r.quota) === 0)).toBe(true);
    expect(records.reduce((sum, r) => sum + Number(r.quota), 0)).toBe(row.usedQuota);
  });

  it('when the real usage exceeds the reservation, it is charged in full: the balance goes below zero by at most the excess, then refuses', async () => {
    // reservation: 13 prompt bytes + 1 completion token = 14 quota; real usage 5 + 50 = 55; the quota holds 100
    const token = await createToken(t.app, { userId, remainQuota: 100 });
    const statuses = await fire(token.key, 20, { ...CHAT, max_tokens: 1 });
    const ok = statuses.filter((s) => s === 200).length;
    const row = await tokenRow(t.app, token.id);
    const records = await usageRecords(t.app, token.id);
    expect(records).toHaveLength(statuses.length);
    expect(records.filter((r) => r.statusCode === 200)).toHaveLength(ok);
    expect(row.usedQuota).toBe(ok * PER_REQUEST); // every delivered token charged
    expect(records.reduce((sum, r) => sum + Number(r.quota), 0)).toBe(row.usedQuota);
    expect(row.remainQuota + row.usedQuota).toBe(100);
    expect(row.remainQuota).toBeGreaterThanOrEqual(-ok * (PER_REQUEST - 14)); // the debt is at most the excess over the reservations
    const again = await fire(token.key, 1, { ...CHAT, max_tokens: 1 });
    expect(again).toEqual([row.remainQuota >= 14 ? 200 : 429]);
  });
});
