import { QuotaLedger } from '../../src/metering/quota-ledger.service';
import { addKey, tokenRow, usageRecords } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { TestDatabase, testDatabases } from '../support/test-databases';
import { createToken } from '../support/tokens.builder';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const CHAT = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };
const redisUrl = process.env.TEST_REDIS_URL;
const mysql = testDatabases().find(([label]) => label === 'mariadb');

/** The same database handed to a second instance (created and dropped by the first). */
function sameDatabase(url: string): TestDatabase {
  return { label: 'shared', create: async () => url, drop: async () => undefined };
}

/** Retries `check` until it passes or `ms` have gone by. @returns the milliseconds it took */
async function eventually(check: () => Promise<void>, ms = 3000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > ms) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe.each(testDatabases())('Two instances on one %s database without Redis', (_label, database) => {
  let a: TestApp;
  let b: TestApp;
  let stub: StubUpstream;
  let root: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    stub = await StubUpstream.start();
    const db = database();
    let url = '';
    const capture: TestDatabase = { ...db, create: async () => (url = await db.create()), drop: () => db.drop() };
    a = await createTestApp(capture);
    b = await createTestApp(sameDatabase(url));
    root = await initRoot(a.http);
    user = await addUser(a.http, root, 'u1');
    await addKey(a.http, root, { key: 'sk-upstream-default', endpoint: stub.baseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await stub?.close();
  });

  /** B relays once with `key` (caching the token and the keys) and settles it. */
  const warmUp = async (key: string) => {
    await b.http.post('/v1/chat/completions').set(auth(key)).send(CHAT).expect(200);
    await b.app.get(QuotaLedger).drain();
  };

  const newToken = async (owner: TestUser) => {
    return createToken(a.app, a.http, owner, { name: 'lb', remain_quota: 100_000, expired_time: -1 });
  };

  it('a token disabled through instance A is refused by instance B within 2 s, though B had it cached', async () => {
    const { id, key } = await newToken(user);
    await warmUp(key);
    await a.http.put('/api/token/?status_only=true').set(auth(user.token, user.id)).send({ id, status: 2 }).expect(200);
    const took = await eventually(async () => {
      const res = await b.http.post('/v1/chat/completions').set(auth(key)).send(CHAT);
      expect(res.body.error?.code).toBe('token_disabled');
    });
    expect(took).toBeLessThan(2000);
  });

  it("a deleted user's API token is refused by instance B within 2 s", async () => {
    const doomed = await addUser(a.http, root, 'doomed');
    const { key } = await newToken(doomed);
    await warmUp(key);
    await a.http.delete(`/1/users/${doomed.id}`).set(auth(root.token)).expect(200);
    const took = await eventually(async () => {
      const res = await b.http.post('/v1/chat/completions').set(auth(key)).send(CHAT);
      expect(res.status).toBe(401);
    });
    expect(took).toBeLessThan(2000);
  });

  it('an upstream key disabled through instance A is no longer used by instance B within 2 s', async () => {
    const { key } = await newToken(user);
    const keys = await a.http.get('/1/keys').set(auth(root.token)).expect(200);
    await warmUp(key); // B loads its key table
    await a.http.patch(`/1/keys/${keys.body[0].id}`).set(auth(root.token)).send({ status: 2 }).expect(200);
    const took = await eventually(async () => {
      const res = await b.http.post('/v1/chat/completions').set(auth(key)).send(CHAT);
      expect(res.body.error?.code).toBe('no_available_key');
    });
    expect(took).toBeLessThan(2000);
    await a.http.patch(`/1/keys/${keys.body[0].id}`).set(auth(root.token)).send({ status: 1 }).expect(200);
  });
});

if (!redisUrl || !mysql) {
  it.todo('two instances on one MySQL database and one Redis agree at once (set TEST_DATABASE_URL and TEST_REDIS_URL)');
} else {
  describe('Two instances behind a load balancer (MariaDB + Redis)', () => {
    let a: TestApp;
    let b: TestApp;
    let stub: StubUpstream;
    let root: TestUser;
    let user: TestUser;

    beforeAll(async () => {
      stub = await StubUpstream.start();
      const database = mysql[1]();
      let url = '';
      const capture: TestDatabase = { ...database, create: async () => (url = await database.create()), drop: () => database.drop() };
      a = await createTestApp(capture, { REDIS_URL: redisUrl });
      b = await createTestApp(sameDatabase(url), { REDIS_URL: redisUrl });
      await new Promise((r) => setTimeout(r, 300)); // both subscribed
      root = await initRoot(a.http);
      user = await addUser(a.http, root, 'u1');
      await addKey(a.http, root, { key: 'sk-upstream-default', endpoint: stub.baseUrl });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
      await stub?.close();
    });

    it('a token disabled through instance A is refused by instance B, whose cache held it', async () => {
      const { id, key } = await createToken(a.app, a.http, user, { name: 'lb', remain_quota: 100_000, expired_time: -1 });
      await b.http.post('/v1/chat/completions').set(auth(key)).send(CHAT).expect(200); // B caches the token
      await a.http.put('/api/token/?status_only=true').set(auth(user.token, user.id)).send({ id, status: 2 }).expect(200);
      await eventually(async () => {
        const res = await b.http.post('/v1/chat/completions').set(auth(key)).send(CHAT);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('token_disabled');
      });
    });

    it('a user deleted through instance A loses access on instance B at once, API tokens included', async () => {
      const doomed = await addUser(a.http, root, 'doomed');
      const { key } = await createToken(a.app, a.http, doomed, { name: 'x', remain_quota: 100_000, expired_time: -1 });
      await b.http.post('/v1/chat/completions').set(auth(key)).send(CHAT).expect(200);
      await a.http.delete(`/1/users/${doomed.id}`).set(auth(root.token)).expect(200);
      await b.http.get('/1/me').set(auth(doomed.token)).expect(401);
      await eventually(async () => {
        const res = await b.http.post('/v1/chat/completions').set(auth(key)).send(CHAT);
        expect(res.status).toBe(401);
      });
    });

    it('quota spent through both instances at once: every delivered token charged, below zero by at most the excess over the reservations, the books balance', async () => {
      const { id, key } = await createToken(a.app, a.http, user, { name: 'q', remain_quota: 200, expired_time: -1 });
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).http.post('/v1/chat/completions').set(auth(key)).send(CHAT)),
      );
      expect(answers.every((r) => r.status === 200 || r.status === 429)).toBe(true);
      expect(answers.some((r) => r.status === 429)).toBe(true);
      await Promise.all([a, b].map((app) => app.app.get(QuotaLedger).drain()));
      const row = await tokenRow(a.app, id);
      const ok = answers.filter((r) => r.status === 200).length;
      // each request holds 13 prompt bytes + 10 completion tokens = 23 quota and costs 5 + 50 = 55
      expect(ok * 23).toBeLessThanOrEqual(200);
      expect(row.usedQuota).toBe(ok * 55);
      expect(row.remainQuota).toBeGreaterThanOrEqual(-ok * (55 - 23));
      expect(row.remainQuota + row.usedQuota).toBe(200);
      const records = await usageRecords(a.app, id);
      expect(records).toHaveLength(40);
      expect(records.reduce((sum, r) => sum + Number(r.quota), 0)).toBe(row.usedQuota);
    });
  });
}
