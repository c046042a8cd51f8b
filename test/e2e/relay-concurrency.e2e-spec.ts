import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { Agent, request } from 'undici';
import { sqliteLockOf } from '../../src/database/sqlite-transaction-lock';
import { MeteringService, Reservation } from '../../src/relay/metering.service';
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

  /** The usage record of a settlement made by hand (the relay's fields, nothing counted). */
  const usageRecord = (owner: number, tokenId: number, requestId: string) => ({
    userId: owner,
    tokenId,
    keyId: null,
    model: 'gpt-3.5-turbo',
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    costUsd: '0',
    statusCode: 200,
    isStream: false,
    latencyMs: 1,
    ip: '127.0.0.1',
    requestId,
    createdAt: new Date(),
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

  (_label === 'mariadb' ? it.skip : it)('SQLite: a reserve runs at once on the main connection when nothing holds its lock, and waits for the holder otherwise', async () => {
    const metering = t.app.get(MeteringService);
    const lock = sqliteLockOf(t.app.get(DataSource))!;
    const token = await createToken(t.app, { userId, remainQuota: 1000 });
    await metering.drain();
    expect(metering.reserve(token.id, false, 100)).toEqual({ tokenId: token.id, unlimited: false, reserved: 100 }); // no promise: already written
    expect((await tokenRow(t.app, token.id)).remainQuota).toBe(900);

    let release!: () => void;
    const held = lock.hold(() => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = metering.reserve(token.id, false, 100);
    expect(waiting).toBeInstanceOf(Promise);
    let answered = false;
    void (waiting as Promise<unknown>).then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    release();
    await held;
    await expect(waiting).resolves.toEqual({ tokenId: token.id, unlimited: false, reserved: 100 });
    expect((await tokenRow(t.app, token.id)).remainQuota).toBe(800);
    metering.settle({ tokenId: token.id, unlimited: false, reserved: 100 }, 100, usageRecord(userId, token.id, 'held-1'));
    metering.settle((await waiting)!, 100, usageRecord(userId, token.id, 'held-2'));
    await metering.drain();
  });

  (_label === 'sqlite' ? it : it.skip)('SQLite file: with another reservation open, a reserve goes to the writer thread even when the lock is free', async () => {
    const metering = t.app.get(MeteringService);
    const lock = sqliteLockOf(t.app.get(DataSource))!;
    const token = await createToken(t.app, { userId, remainQuota: 1000 });
    await metering.drain();
    const open = metering.reserve(token.id, false, 100) as Reservation;
    expect(open).toEqual({ tokenId: token.id, unlimited: false, reserved: 100 });
    expect(lock.idle).toBe(true);
    const second = metering.reserve(token.id, false, 100);
    expect(second).toBeInstanceOf(Promise); // the writer thread's answer
    await expect(second).resolves.toEqual({ tokenId: token.id, unlimited: false, reserved: 100 });
    metering.settle(open, 100, usageRecord(userId, token.id, 'open-1'));
    metering.settle((await second)!, 100, usageRecord(userId, token.id, 'open-2'));
    await metering.drain();
    expect(metering.reserve(token.id, false, 100)).toEqual({ tokenId: token.id, unlimited: false, reserved: 100 }); // none open again: at once
    expect((await tokenRow(t.app, token.id)).remainQuota).toBe(700);
  });

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

  it('when the real usage exceeds the reservation, the extra is charged only as far as the quota goes', async () => {
    // reservation: ~8 prompt + 1 completion = 9 quota; real usage 5 + 50 = 55; the quota holds 100
    const token = await createToken(t.app, { userId, remainQuota: 100 });
    const statuses = await fire(token.key, 20, { ...CHAT, max_tokens: 1 });
    const row = await tokenRow(t.app, token.id);
    expect(row.remainQuota).toBeGreaterThanOrEqual(0);
    expect(row.remainQuota + row.usedQuota).toBe(100);
    const records = await usageRecords(t.app, token.id);
    expect(records).toHaveLength(statuses.length);
    expect(records.filter((r) => r.statusCode === 200)).toHaveLength(statuses.filter((s) => s === 200).length);
    expect(records.reduce((sum, r) => sum + Number(r.quota), 0)).toBe(row.usedQuota);
    expect(row.usedQuota).toBeLessThanOrEqual(100);
  });
});
