import type { Response } from 'supertest';
import { AuditRetentionService } from '../../src/audit/audit-retention.service';
import { AuditService } from '../../src/audit/audit.service';
import { Clock } from '../../src/common/clock';
import { ExternalIssuer } from '../support/external-issuer';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const DAY_MS = 86_400_000;
const SSO_API = '/plugin/datafor-modeler/api/token';
const UPSTREAM_KEY = 'sk-audit0123456789abcdefghijklmnopqrstuvwxyz';
const SECOND_KEY = 'sk-audit-second-9876543210zyxwvutsrqponmlkji';

/** A clock the test moves. */
class TestClock extends Clock {
  at = Date.now();
  override now(): number {
    return this.at;
  }
}

interface AuditRecord {
  id: number;
  createdAt: string;
  actorId: number | null;
  actorRole: number | null;
  ip: string;
  requestId: string;
  action: string;
  targetType: string;
  targetId: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
}

describe.each(testDatabases())('Audit log on %s', (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let plain: TestUser;
  const clock = new TestClock();
  /** The highest record id the test has looked at: {@link fresh} answers the records after it. */
  let seen = 0;

  /** Every record, newest first, walking the pages. */
  const all = async (query: Record<string, string | number> = {}): Promise<AuditRecord[]> => {
    const records: AuditRecord[] = [];
    let cursor: string | null = null;
    do {
      const res: Response = await t.http
        .get('/1/audit')
        .query({ ...query, limit: 500, ...(cursor ? { cursor } : {}) })
        .set(auth(root.token))
        .expect(200);
      records.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return records;
  };
  /** The records written since the last call, oldest first. */
  const fresh = async (): Promise<AuditRecord[]> => {
    const records = (await all()).filter((r) => r.id > seen).reverse();
    seen = Math.max(seen, ...records.map((r) => r.id));
    return records;
  };
  /** Exactly one new record: it is returned. */
  const one = async (): Promise<AuditRecord> => {
    const records = await fresh();
    expect(records.map((r) => r.action)).toHaveLength(1);
    return records[0];
  };

  beforeAll(async () => {
    t = await createTestApp(database(), {}, (builder) => builder.overrideProvider(Clock).useValue(clock));
    root = await initRoot(t.http);
    plain = await addUser(t.http, root, 'audit-plain');
    await fresh();
  });
  afterAll(async () => t?.close());

  describe('users', () => {
    let created: TestUser;

    it('creating a user leaves one record: actor, address, request id, target and fields, the access token masked', async () => {
      const res = await t.http.post('/1/users').set(auth(root.token)).set('X-Request-Id', 'audit-create-1').send({ name: 'audited' }).expect(200);
      created = { id: res.body.id, name: res.body.name, token: res.body.token };
      const record = await one();
      expect(record).toMatchObject({
        actorId: root.id,
        actorRole: 100,
        requestId: 'audit-create-1',
        action: 'user.create',
        targetType: 'user',
        targetId: String(created.id),
      });
      expect(record.ip).toMatch(/127\.0\.0\.1|::1/);
      expect(record.createdAt).toBe(new Date(clock.at).toISOString());
      expect(record.changes).toMatchObject({ name: { before: null, after: 'audited' }, role: { before: null, after: 1 }, token: { before: null, after: '***' } });
      expect(JSON.stringify(record)).not.toContain(created.token);
    });

    it('a budget change records only the changed fields, before and after', async () => {
      await t.http.patch(`/1/users/${created.id}`).set(auth(root.token)).send({ quota: 5_000_000, groups: ['default', 'vip'], rpm_limit: 60 }).expect(200);
      expect((await one()).changes).toEqual({
        quota: { before: null, after: 5_000_000 },
        groups: { before: ['default'], after: ['default', 'vip'] },
        rpm_limit: { before: null, after: 60 },
      });
      await t.http.patch(`/1/users/${created.id}`).set(auth(root.token)).send({ add_quota: 500_000 }).expect(200);
      const topUp = await one();
      expect(topUp).toMatchObject({ action: 'user.update', targetId: String(created.id) });
      expect(topUp.changes).toEqual({ quota: { before: 5_000_000, after: 5_500_000 } });
    });

    it('a refused change (400, 403, 404, 409) leaves no record', async () => {
      await t.http.patch(`/1/users/${created.id}`).set(auth(root.token)).send({ quota: 1, add_quota: 1 }).expect(400);
      await t.http.patch(`/1/users/${created.id}`).set(auth(root.token)).send({ name: plain.name }).expect(409);
      await t.http.patch(`/1/users/${root.id}`).set(auth(root.token)).send({ status: 2 }).expect(403);
      await t.http.patch('/1/users/9999').set(auth(root.token)).send({ quota: 1 }).expect(404);
      await t.http.post('/1/users').set(auth(root.token)).send({ name: 'audited' }).expect(409);
      await t.http.delete(`/1/users/${root.id}`).set(auth(root.token)).expect(403);
      expect(await fresh()).toEqual([]);
    });

    it('the change and its record are one transaction: when the record cannot be written, the change is rolled back', async () => {
      const audit = t.app.get(AuditService);
      const spy = jest.spyOn(audit, 'record').mockRejectedValueOnce(new Error('audit store down'));
      try {
        await t.http.patch(`/1/users/${created.id}`).set(auth(root.token)).send({ quota: 1 }).expect(500);
      } finally {
        spy.mockRestore();
      }
      const users = await t.http.get('/1/users').set(auth(root.token)).expect(200);
      expect(users.body.find((u: { id: number }) => u.id === created.id).quota).toBe(5_500_000);
      expect(await fresh()).toEqual([]);
    });

    it('resetting an access token records it masked, old and new', async () => {
      const res = await t.http.post(`/1/users/${created.id}/reset`).set(auth(root.token)).send({ grace_seconds: 60 }).expect(200);
      const record = await one();
      expect(record).toMatchObject({ action: 'user.reset_token', targetId: String(created.id) });
      expect(record.changes).toMatchObject({ token: { before: '***', after: '***' }, previous_token_expires_at: { before: null, after: expect.any(Number) } });
      expect(JSON.stringify(record)).not.toContain(res.body.token);
      expect(JSON.stringify(record)).not.toContain(created.token);
    });

    it('deleting a user records it', async () => {
      await t.http.delete(`/1/users/${created.id}`).set(auth(root.token)).expect(200);
      const record = await one();
      expect(record).toMatchObject({ action: 'user.delete', targetType: 'user', targetId: String(created.id) });
      expect(record.changes).toMatchObject({ is_delete: { before: false, after: true }, token: { before: '***', after: null } });
    });
  });

  describe('upstream keys', () => {
    let keyId: number;

    it('creating a key records its fields; the key itself never appears, only masked', async () => {
      const res = await t.http.post('/1/keys').set(auth(root.token)).send({ key: UPSTREAM_KEY, name: 'audited-key', group: 'vip' }).expect(200);
      keyId = res.body.id;
      const record = await one();
      expect(record).toMatchObject({ action: 'key.create', targetType: 'key', targetId: String(keyId), actorId: root.id });
      expect(record.changes).toMatchObject({ key: { before: null, after: '***' }, name: { before: null, after: 'audited-key' }, group: { before: null, after: 'vip' } });
      expect(JSON.stringify(record)).not.toContain(UPSTREAM_KEY);
      expect(JSON.stringify(record)).not.toContain(UPSTREAM_KEY.slice(3, 20));
    });

    it('an update records the changed fields only; a new key shows as *** on both sides', async () => {
      await t.http.patch(`/1/keys/${keyId}`).set(auth(root.token)).send({ priority: 5 }).expect(200);
      expect((await one()).changes).toEqual({ priority: { before: 0, after: 5 } });
      await t.http.patch(`/1/keys/${keyId}`).set(auth(root.token)).send({ key: SECOND_KEY }).expect(200);
      const record = await one();
      expect(record.changes).toMatchObject({ key: { before: '***', after: '***' } });
      expect(JSON.stringify(record)).not.toContain(SECOND_KEY);
    });

    it('a refused key change leaves no record', async () => {
      await t.http.post('/1/keys').set(auth(root.token)).send({ key: SECOND_KEY, name: 'dup' }).expect(409);
      await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'k-12345678', api_type: 'anthropic' }).expect(400);
      await t.http.patch('/1/keys/9999').set(auth(root.token)).send({ priority: 1 }).expect(404);
      await t.http.delete('/1/keys/9999').set(auth(root.token)).expect(404);
      await t.http.post('/1/keys').set(auth(plain.token)).send({ key: 'sk-plain-0123456789' }).expect(403);
      expect(await fresh()).toEqual([]);
    });

    it('deleting a key records it', async () => {
      await t.http.delete(`/1/keys/${keyId}`).set(auth(root.token)).expect(200);
      const record = await one();
      expect(record).toMatchObject({ action: 'key.delete', targetId: String(keyId), changes: expect.objectContaining({ key: { before: '***', after: null } }) });
    });
  });

  describe('prices', () => {
    it('PUT /1/prices records each model it sets, before and after', async () => {
      await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'audit-model', input: '2', output: '8' }] }).expect(200);
      expect(await one()).toMatchObject({
        action: 'price.update',
        targetType: 'price',
        targetId: 'audit-model',
        changes: { input: { before: null, after: '2' }, output: { before: null, after: '8' } },
      });
      await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'audit-model', input: '2.5', output: '8' }] }).expect(200);
      expect((await one()).changes).toEqual({ input: { before: '2', after: '2.5' } });
    });

    it('a refused price change leaves no record; a delete leaves one', async () => {
      await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'audit-model', input: '-1', output: '1' }] }).expect(400);
      await t.http.delete('/1/prices/no-such-model').set(auth(root.token)).expect(404);
      expect(await fresh()).toEqual([]);
      await t.http.delete('/1/prices/audit-model').set(auth(root.token)).expect(200);
      expect(await one()).toMatchObject({ action: 'price.delete', targetId: 'audit-model', changes: { input: { before: '2.5', after: null } } });
    });
  });

  describe('SSO apps and logins', () => {
    const issuer = ExternalIssuer.hmac('HS256');
    const app = { name: 'AuditApp', secret: issuer.secretForApp, expire: 3600, fieldmap: { username: 'loginname' }, algorithm: 'HS256', inituser: '1', initroles: ['SYS_Reader'] };

    it('creating and changing an app records it, the secret masked', async () => {
      await t.http.post(`${SSO_API}/update`).set(auth(root.token)).send(app).expect(200);
      const created = await one();
      expect(created).toMatchObject({ action: 'sso_app.create', targetType: 'sso_app', targetId: 'AuditApp', changes: expect.objectContaining({ secret: { before: null, after: '***' } }) });
      expect(JSON.stringify(created)).not.toContain(issuer.secretForApp);
      await t.http.post(`${SSO_API}/update`).set(auth(root.token)).send({ ...app, secret: '************', expire: 600 }).expect(200);
      expect((await one()).changes).toEqual({ expire: { before: 3600, after: 600 } });
    });

    it('a refused app change leaves no record', async () => {
      await t.http.post(`${SSO_API}/update`).set(auth(root.token)).send({ ...app, name: 'NoSecret', secret: undefined }).expect(400);
      await t.http.post(`${SSO_API}/update`).set(auth(plain.token)).send({ ...app, name: 'ByPlain' }).expect(403);
      await t.http.post(`${SSO_API}/delete`).set(auth(root.token)).send({ name: 'ghost' }).expect(404);
      expect(await fresh()).toEqual([]);
    });

    it('an SSO login records the user it signs in, at the app', async () => {
      const jwt = await issuer.sign({ loginname: 'sso-audited' });
      const res = await t.http.get('/sso/AuditApp').query({ token: jwt }).expect(200);
      const record = await one();
      expect(record).toMatchObject({ action: 'sso.login', targetType: 'sso_app', targetId: 'AuditApp', actorId: res.body.data.user.id, actorRole: 1, changes: null });
      expect(JSON.stringify(record)).not.toContain(jwt);
      await t.http.get('/sso/AuditApp').query({ token: jwt }).expect(401); // replayed
      const replay = await one();
      expect(replay).toMatchObject({ action: 'sso.login_failure', targetType: 'sso_app', targetId: 'AuditApp', actorId: null, actorRole: null, changes: null });
      expect(JSON.stringify(replay)).not.toContain(jwt);
      const forged = await ExternalIssuer.hmac('HS256').sign({ loginname: 'sso-audited' });
      await t.http.post('/sso/AuditApp').set('Authorization', `Bearer ${forged}`).expect(401);
      expect(await one()).toMatchObject({ action: 'sso.login_failure', targetId: 'AuditApp' });
    });

    it('link, unlink, delete and a batch delete each record once per app', async () => {
      await t.http.post(`${SSO_API}/link`).set(auth(root.token)).send({ name: 'AuditApp', username: plain.name }).expect(200);
      expect(await one()).toMatchObject({ action: 'sso_app.link', targetId: 'AuditApp', changes: { user_id: { before: null, after: plain.id } } });
      await t.http.post(`${SSO_API}/unlink`).set(auth(root.token)).send({ name: 'AuditApp', username: plain.name }).expect(200);
      expect(await one()).toMatchObject({ action: 'sso_app.unlink', changes: { user_id: { before: plain.id, after: null } } });
      await t.http.post(`${SSO_API}/unlink`).set(auth(root.token)).send({ name: 'AuditApp', username: plain.name }).expect(404);
      expect(await fresh()).toEqual([]);

      await t.http.post(`${SSO_API}/delete`).set(auth(root.token)).send({ name: 'AuditApp' }).expect(200);
      expect(await one()).toMatchObject({ action: 'sso_app.delete', targetId: 'AuditApp' });
      for (const name of ['BatchA', 'BatchB']) await t.http.post(`${SSO_API}/update`).set(auth(root.token)).send({ ...app, name }).expect(200);
      await fresh();
      await t.http.post(`${SSO_API}/deleteBatch`).set(auth(root.token)).send(['BatchA', 'BatchB', 'ghost']).expect(200);
      expect((await fresh()).map((r) => `${r.action} ${r.targetId}`).sort()).toEqual(['sso_app.delete BatchA', 'sso_app.delete BatchB']);
    });

    it('a password login records success with the user as actor, and a failure with nobody as actor; no password in either', async () => {
      await t.http.put('/1/me/password').set(auth(plain.token)).send({ password: 'correct-horse-battery' }).expect(200);
      expect(await fresh()).toEqual([]); // a user's own change is not audited
      await t.http.post('/1/login').set('X-Request-Id', 'audit-login-ok').send({ name: plain.name, password: 'correct-horse-battery' }).expect(200);
      expect(await one()).toMatchObject({ action: 'login.success', actorId: plain.id, actorRole: 1, targetType: 'user', targetId: String(plain.id), requestId: 'audit-login-ok' });
      await t.http.post('/1/login').send({ name: plain.name, password: 'wrong-password-123' }).expect(401);
      const failure = await one();
      expect(failure).toMatchObject({ action: 'login.failure', actorId: null, actorRole: null, targetType: 'user_name', targetId: plain.name, changes: null });
      expect(failure.ip).not.toBe('');
      expect(JSON.stringify(failure)).not.toContain('wrong-password-123');
      await t.http.post('/1/login').send({ name: 'nobody-here', password: 'whatever-123' }).expect(401);
      expect(await one()).toMatchObject({ action: 'login.failure', targetId: 'nobody-here' });
    });
  });

  describe('GET /1/audit', () => {
    it('is for admins only', async () => {
      await t.http.get('/1/audit').set(auth(plain.token)).expect(403);
      await t.http.get('/1/audit').expect(401);
    });

    it('filters by action, actor, target type and id', async () => {
      const everything = await all();
      const updates = await all({ action: 'user.update' });
      expect(updates.length).toBeGreaterThan(0);
      expect(updates).toEqual(everything.filter((r) => r.action === 'user.update'));
      const byPlain = await all({ actor_id: plain.id });
      expect(byPlain.map((r) => r.action)).toEqual(['login.success']);
      expect(await all({ target: 'price' })).toEqual(everything.filter((r) => r.targetType === 'price'));
      const targeted = await all({ target: `user:${plain.id}` });
      expect(targeted.length).toBeGreaterThan(0);
      expect(targeted.every((r) => r.targetType === 'user' && r.targetId === String(plain.id))).toBe(true);
      expect(await all({ target: 'price:audit-model', action: 'price.delete' })).toHaveLength(1);
    });

    it('filters by a range of unix seconds, from inclusive and to exclusive', async () => {
      const base = Math.floor(clock.at / 1000) * 1000 + 3 * DAY_MS;
      clock.at = base;
      await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'range-a', input: '1', output: '1' }] }).expect(200);
      clock.at = base + 10_000;
      await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'range-b', input: '1', output: '1' }] }).expect(200);
      const s = base / 1000;
      expect((await all({ from: s })).map((r) => r.targetId)).toEqual(['range-b', 'range-a']);
      expect((await all({ from: s, to: s + 10 })).map((r) => r.targetId)).toEqual(['range-a']);
      expect((await all({ from: s + 10 })).map((r) => r.targetId)).toEqual(['range-b']);
      expect(await all({ to: 1 })).toEqual([]);
      await t.http.get('/1/audit').query({ from: s, to: s }).set(auth(root.token)).expect(400);
      await fresh();
    });

    it('pages newest first with an opaque cursor: the pages together are the whole log, once each', async () => {
      const everything = await all();
      expect(everything.length).toBeGreaterThan(10);
      const sorted = [...everything].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
      expect(everything.map((r) => r.id)).toEqual(sorted.map((r) => r.id));
      const paged: AuditRecord[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: Response = await t.http
          .get('/1/audit')
          .query({ limit: 3, ...(cursor ? { cursor } : {}) })
          .set(auth(root.token))
          .expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(3);
        paged.push(...res.body.items);
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(Math.ceil(everything.length / 3));
      expect(paged.map((r) => r.id)).toEqual(everything.map((r) => r.id));
      const first = await t.http.get('/1/audit').set(auth(root.token)).expect(200);
      expect(first.body.items).toHaveLength(Math.min(50, everything.length));
    });

    it('400 naming the parameter for a bad filter, page size or cursor', async () => {
      const cases: [Record<string, string | number>, RegExp][] = [
        [{ limit: 501 }, /^limit /],
        [{ limit: 0 }, /^limit /],
        [{ action: 'user.explode' }, /^action /],
        [{ target: 'planet:5' }, /^target /],
        [{ actor_id: 'me' }, /^actor_id /],
        [{ from: 'yesterday' }, /^from /],
        [{ cursor: 'not-a-cursor' }, /^cursor /],
        [{ cursor: Buffer.from('1.2.3').toString('base64url') }, /^cursor /],
      ];
      for (const [query, message] of cases) {
        const res = await t.http.get('/1/audit').query(query).set(auth(root.token)).expect(400);
        expect([query, res.body.message]).toEqual([query, expect.stringMatching(message)]);
      }
    });
  });

  describe('retention', () => {
    it(`purges records older than AUDIT_RETENTION_DAYS (default 365) by the clock, and keeps the rest`, async () => {
      const before = await all();
      expect(before.length).toBeGreaterThan(5);
      const oldest = Math.min(...before.map((r) => Date.parse(r.createdAt)));
      const newest = Math.max(...before.map((r) => Date.parse(r.createdAt)));
      clock.at = oldest + 365 * DAY_MS - 60_000; // every record is younger than 365 days
      expect(await t.app.get(AuditRetentionService).purgeExpired()).toBe(0);
      clock.at = newest + 366 * DAY_MS;
      await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'after-a-year', input: '1', output: '1' }] }).expect(200);
      expect(await t.app.get(AuditRetentionService).purgeExpired()).toBe(before.length);
      expect((await all()).map((r) => r.targetId)).toEqual(['after-a-year']);
    });
  });
});
