import { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock';
import { QuotaResetEntity } from '../../src/metering/entities/quota-reset.entity';
import { QuotaResets } from '../../src/metering/quota-resets.service';
import { QuotaLedger } from '../../src/metering/quota-ledger.service';
import { addKey, eventually, tokenRow } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { TestDatabase, testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

/** Holds 13 prompt bytes + 50 completion tokens = 63 tokens; the stub reports 5 + 50 = 55. */
const CHAT = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 };
const redisUrl = process.env.TEST_REDIS_URL;

/** A clock the test moves. */
class TestClock extends Clock {
  at = Date.now();
  override now(): number {
    return this.at;
  }
}

function sameDatabase(url: string): TestDatabase {
  return { label: 'shared', create: async () => url, drop: async () => undefined };
}

describe.each(testDatabases())('Policy v2 (resets, rate limits, rotation, models) on %s', (_label, database) => {
  let a: TestApp;
  let b: TestApp;
  let url = '';
  let stub: StubUpstream;
  let root: TestUser;
  let user: TestUser;
  const clock = new TestClock();
  const withClock = (builder: Parameters<NonNullable<Parameters<typeof createTestApp>[2]>>[0]) => builder.overrideProvider(Clock).useValue(clock);
  const env: Record<string, string> = redisUrl ? { REDIS_URL: redisUrl } : {};

  beforeAll(async () => {
    stub = await StubUpstream.start();
    stub.record = false;
    const db = database();
    a = await createTestApp({ ...db, create: async () => (url = await db.create()) }, env, withClock);
    b = await createTestApp(sameDatabase(url), env, withClock);
    root = await initRoot(a.http);
    user = await addUser(a.http, root, 'policy');
    await addKey(a.http, root, { key: 'sk-upstream-policy', endpoint: stub.baseUrl });
  });
  afterEach(() => {
    stub.reset();
    clock.at = Date.now();
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await stub?.close();
  });

  /** A new token of `owner` with `fields`; its id and its key (read by reveal, as new-api's clients do). */
  async function newToken(owner: TestUser, fields: Record<string, unknown> = {}): Promise<{ id: number; key: string }> {
    const name = `t${Math.random().toString(36).slice(2, 10)}`;
    await a.http.post('/api/token/').set(auth(owner.token, owner.id)).send({ name, remain_quota: 1_000_000, ...fields }).expect(200);
    const list = await a.http.get(`/api/token/search?keyword=${name}`).set(auth(owner.token, owner.id)).expect(200);
    const id = list.body.data[0].id as number;
    const key = (await a.http.post(`/api/token/${id}/key`).set(auth(owner.token, owner.id)).expect(200)).body.data.key as string;
    return { id, key: `sk-${key}` };
  }
  const chat = (app: TestApp, key: string, body: object = CHAT) => app.http.post('/v1/chat/completions').set(auth(key)).send(body);

  describe('budgets that reset', () => {
    it('a daily reset happens once at the boundary with two instances running, and once after a restart that missed it', async () => {
      const token = await newToken(user, { remain_quota: 5_000, quota_reset_period: 'daily', quota_reset_amount: 1_000, quota_reset_tz: '+08:00' });
      const shown = (await a.http.get(`/api/token/${token.id}`).set(auth(user.token, user.id)).expect(200)).body.data;
      const now = Math.floor(Date.now() / 1000);
      expect(shown).toMatchObject({ quota_reset_period: 'daily', quota_reset_amount: 1_000, quota_reset_tz: '+08:00' });
      expect(shown.next_reset_at).toBeGreaterThan(now);
      expect((shown.next_reset_at + 8 * 3600) % 86_400).toBe(0); // a midnight at +08:00
      expect(await chat(a, token.key).expect(200)).toBeTruthy();
      await a.app.get(QuotaLedger).drain(); // charged before the boundary (a settlement still queued then would land after it)

      clock.at = (shown.next_reset_at + 5) * 1000; // the boundary passed
      const [byA, byB] = await Promise.all([a.app.get(QuotaResets).sweep(), b.app.get(QuotaResets).sweep()]);
      expect(byA + byB).toBe(1);
      expect((await tokenRow(a.app, token.id)).remainQuota).toBe(1_000); // becomes the amount, not added to it
      const resets = () => a.app.get(DataSource).getRepository(QuotaResetEntity).find({ where: { subject: 'token', subjectId: token.id }, order: { id: 'ASC' } });
      expect(await resets()).toMatchObject([{ period: 'daily', dueAt: shown.next_reset_at, amount: 1_000, previous: 5_000 - 55 }]);
      const after = (await a.http.get(`/api/token/${token.id}`).set(auth(user.token, user.id)).expect(200)).body.data;
      expect(after.next_reset_at).toBe(shown.next_reset_at + 86_400);

      // three boundaries pass while no instance runs: one reset at the next start
      clock.at += 3 * 86_400_000;
      const c = await createTestApp(sameDatabase(url), env, withClock); // its start sweeps
      try {
        expect(await resets()).toHaveLength(2);
        const later = (await c.http.get(`/api/token/${token.id}`).set(auth(user.token, user.id)).expect(200)).body.data;
        expect(later.next_reset_at).toBe(shown.next_reset_at + 4 * 86_400);
        expect(await c.app.get(QuotaResets).sweep()).toBe(0);
      } finally {
        await c.app.close();
        await a.http.delete(`/api/token/${token.id}`).set(auth(user.token, user.id)).expect(200);
      }
    });

    it("a user's budget resets too, set by an admin; a reset period without an amount is a 400 naming it", async () => {
      const member = await addUser(a.http, root, 'resetting');
      await a.http.patch(`/1/users/${member.id}`).set(auth(root.token)).send({ quota_reset_period: 'weekly' }).expect(400);
      const set = await a.http.patch(`/1/users/${member.id}`).set(auth(root.token)).send({ quota: 10, quota_reset_period: 'weekly', quota_reset_amount: 700 }).expect(200);
      expect(set.body.next_reset_at).toBeGreaterThan(Math.floor(Date.now() / 1000));
      expect(new Date(set.body.next_reset_at * 1000).getUTCDay()).toBe(1); // a Monday
      clock.at = (set.body.next_reset_at + 1) * 1000;
      expect(await a.app.get(QuotaResets).sweep()).toBe(1);
      expect((await a.http.get('/1/me').set(auth(member.token)).expect(200)).body.quota).toBe(700);
      clock.at = Date.now();
      await a.http.patch(`/1/users/${member.id}`).set(auth(member.token)).send({ quota_reset_amount: 1 }).expect(403); // admins only
    });
  });

  describe('rate limits', () => {
    /** Without Redis each instance counts on its own; with it, both count together. */
    const either = (i: number) => (redisUrl && i % 2 ? b : a);

    it('rpm_limit: at most the limit passes in a minute, the headers count down, and the refusal is 429 rate_limit_exceeded', async () => {
      const token = await newToken(user, { rpm_limit: 3 });
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await chat(either(i), token.key));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
      // a refusal does not count: the remaining figure of a later refusal stays at 0, never below
      expect(answers.slice(0, 3).map((r) => r.headers['x-ratelimit-remaining-requests'])).toEqual(['2', '1', '0']);
      expect(answers[0].headers['x-ratelimit-limit-requests']).toBe('3');
      expect(answers[0].headers['x-ratelimit-reset-requests']).toMatch(/^\d+(ms|s|m\d+s)$/);
      expect(answers[3].body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
      expect(answers[3].headers).toMatchObject({ 'x-ratelimit-remaining-requests': '0', 'x-should-retry': 'true' });
      expect(Number(answers[3].headers['retry-after'])).toBeGreaterThan(0);
    });

    it('tpm_limit counts the hold at admission and the real usage once settled', async () => {
      const token = await newToken(user, { tpm_limit: 130 }); // a request holds 63 tokens and uses 55
      const first = await chat(a, token.key).expect(200);
      expect(first.headers).toMatchObject({ 'x-ratelimit-limit-tokens': '130', 'x-ratelimit-remaining-tokens': '67' });
      const second = await chat(a, token.key).expect(200); // 130 - 55 = 75 left once the first settled
      expect(second.headers['x-ratelimit-remaining-tokens']).toBe('12');
      const third = await chat(a, token.key).expect(429);
      expect(third.body.error.code).toBe('rate_limit_exceeded');
      expect(third.headers['x-ratelimit-limit-tokens']).toBe('130');
    });

    it("max_parallel_requests: no more in flight at once; a user's limits hold over all its tokens", async () => {
      const token = await newToken(user, { max_parallel_requests: 2 });
      stub.failNext({ kind: 'slow', ms: 400 }, 4);
      const statuses = (await Promise.all([0, 1, 2, 3].map((i) => chat(either(i), token.key)))).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 429, 429]);
      await eventually(async () => expect((await chat(a, token.key)).status).toBe(200)); // the slots came back

      const member = await addUser(a.http, root, 'limited-user');
      await a.http.patch(`/1/users/${member.id}`).set(auth(root.token)).send({ rpm_limit: 2 }).expect(200);
      const [one, two] = [await newToken(member), await newToken(member)];
      expect([(await chat(either(0), one.key)).status, (await chat(either(1), two.key)).status, (await chat(either(2), two.key)).status]).toEqual([200, 200, 429]);
    });
  });

  describe('key rotation with a grace period', () => {
    it('the old key works until the grace ends, then 401, on both instances; the new key at once', async () => {
      const token = await newToken(user);
      await chat(b, token.key).expect(200); // B has the token cached
      const rotated = await a.http.post(`/api/token/${token.id}/rotate`).set(auth(user.token, user.id)).send({ grace_seconds: 2 }).expect(200);
      const fresh = `sk-${rotated.body.data.key}`;
      expect(fresh).not.toBe(token.key);
      const shown = (await a.http.get(`/api/token/${token.id}`).set(auth(user.token, user.id)).expect(200)).body.data;
      expect(shown.previous_key_expires_at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 1);
      for (const app of [a, b]) {
        await chat(app, token.key).expect(200);
        await chat(app, fresh).expect(200);
      }
      await new Promise((r) => setTimeout(r, 3_100));
      for (const app of [a, b]) {
        const refused = await chat(app, token.key).expect(401);
        expect(refused.body.error.code).toBe('invalid_api_key');
        await chat(app, fresh).expect(200);
      }
      await a.http.post(`/api/token/${token.id}/rotate`).set(auth(user.token, user.id)).send({ grace_seconds: 86_401 }).expect(400);
    }, 30_000);

    it("a user's access token reset with grace_seconds keeps working until then", async () => {
      const member = await addUser(a.http, root, 'rotating');
      const reset = await a.http.post(`/1/users/${member.id}/reset`).set(auth(root.token)).send({ grace_seconds: 2 }).expect(200);
      expect(reset.body.previous_key_expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000));
      await a.http.get('/1/me').set(auth(member.token)).expect(200);
      await b.http.get('/1/me').set(auth(reset.body.token)).expect(200);
      await new Promise((r) => setTimeout(r, 3_100));
      await a.http.get('/1/me').set(auth(member.token)).expect(401);
      await b.http.get('/1/me').set(auth(member.token)).expect(401);
    }, 30_000);
  });

  it('/v1/models lists what the token may use: its model limits, served by a key of its group, priced', async () => {
    await a.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'team-a', input: '1', output: '1' }, { model: 'team-b', input: '1', output: '1' }, { model: 'team-c', input: '1', output: '1' }] }).expect(200);
    await addKey(a.http, root, { key: 'sk-upstream-team', name: 'team', endpoint: stub.baseUrl, group: 'team', models: ['team-a', 'team-b', 'team-c', 'team-unpriced'] });
    await a.http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ groups: ['default', 'team'] }).expect(200);
    const token = await newToken(user, { group: 'team', model_limits_enabled: true, model_limits: 'team-a,team-unpriced,gpt-4o' });
    await eventually(async () => {
      // B learns of the new prices and key through the change feed (or Redis) within a second
      const list = await b.http.get('/v1/models').set(auth(token.key)).expect(200);
      expect(list.body.data.map((m: { id: string }) => m.id)).toEqual(['team-a']);
    });
    await b.http.get('/v1/models/team-a').set(auth(token.key)).expect(200);
    await b.http.get('/v1/models/team-b').set(auth(token.key)).expect(404);
  });
});
