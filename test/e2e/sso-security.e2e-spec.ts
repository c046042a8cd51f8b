import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DatabaseReplayGuard } from '../../src/sso-apps/jti-replay-guard';
import { ExternalIssuer } from '../support/external-issuer';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { TestDatabase, testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const API = '/plugin/datafor-modeler/api/token';
/** seed 004's request example, verbatim. */
const SEED_EXAMPLE = {
  name: 'ERP',
  token_name: 'token',
  secret: 'abcd',
  expire: 86400,
  fieldmap: { username: 'loginname', name: 'name', email: 'email' },
  algorithm: 'HS256',
  enable: '1',
  inituser: '1',
  initroles: ['SYS_Reader'],
};
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The order n of the P-256 group (SEC 2). */
const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** The same token with the last base64url character of its signature changed in a padding bit only (same bytes). */
function reencodeLastCharacter(jwt: string): string {
  const last = jwt[jwt.length - 1];
  return jwt.slice(0, -1) + B64URL[B64URL.indexOf(last) ^ 1];
}

/** The same ES256 token with its signature `(r, s)` replaced by `(r, n - s)`, also valid for the same key and input. */
function negateEcdsaS(jwt: string): string {
  const dot = jwt.lastIndexOf('.');
  const signature = Buffer.from(jwt.slice(dot + 1), 'base64url');
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  const negated = Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex');
  return `${jwt.slice(0, dot + 1)}${Buffer.concat([signature.subarray(0, 32), negated]).toString('base64url')}`;
}

describe.each(testDatabases())('SSO security rules on %s', (_label, database) => {
  let a: TestApp;
  let b: TestApp;
  let root: TestUser;
  const hs = ExternalIssuer.hmac('HS256');
  let es: ExternalIssuer;

  const update = (body: object, as: TestUser = root) => a.http.post(`${API}/update`).set(auth(as.token)).send(body);
  const login = (app: TestApp, name: string, jwt: string) => app.http.get(`/sso/${name}`).query({ token: jwt });
  const claims = (loginname: string) => ({ loginname, name: `Name ${loginname}`, email: `${loginname}@example.com` });
  const userNames = async (): Promise<string[]> => (await a.http.get('/1/users').set(auth(root.token)).expect(200)).body.map((u: { name: string }) => u.name);

  beforeAll(async () => {
    es = await ExternalIssuer.asymmetric('ES256');
    // Two instances on one database and no Redis, as behind a load balancer without REDIS_URL.
    const db = database();
    let url = '';
    const capture: TestDatabase = { ...db, create: async () => (url = await db.create()), drop: () => db.drop() };
    a = await createTestApp(capture);
    b = await createTestApp({ label: 'shared', create: async () => url, drop: async () => undefined });
    root = await initRoot(a.http);
    await update({ ...SEED_EXAMPLE, name: 'Maker', secret: hs.secretForApp, initpwd: 'Init#2025-shared' }).expect(200);
    await update({ ...SEED_EXAMPLE, name: 'Reader', secret: hs.secretForApp, inituser: '0' }).expect(200);
    await update({ ...SEED_EXAMPLE, name: 'Curve', algorithm: 'ES256', secret: es.secretForApp }).expect(200);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  describe('one-time tokens', () => {
    it('without Redis, a token used on one instance is refused as replayed on another (claims kept in the database)', async () => {
      const jwt = await hs.sign(claims('replay-jti'));
      await login(a, 'Maker', jwt).expect(200);
      const replay = await login(b, 'Maker', jwt).expect(401);
      expect(replay.body.msg).toBe('token already used (replayed jti)');
      const noJti = await hs.sign(claims('replay-jti'), { jti: null });
      await login(b, 'Maker', noJti).expect(200);
      expect((await login(a, 'Maker', noJti).expect(401)).body.msg).toBe('token already used (one-time token replayed)');
    });

    it('a token without jti is still a replay when its HS256 signature is re-encoded (last base64url character, same bytes)', async () => {
      const jwt = await hs.sign(claims('reencoded-hs'), { jti: null });
      const twin = reencodeLastCharacter(jwt);
      expect(twin).not.toBe(jwt);
      await login(a, 'Maker', jwt).expect(200);
      const replay = await login(a, 'Maker', twin).expect(401);
      expect(replay.body.msg).toBe('token already used (one-time token replayed)');
    });

    it('a token without jti is still a replay when its ES256 signature (r, s) is sent as (r, n - s)', async () => {
      const jwt = await es.sign(claims('reencoded-es'), { jti: null });
      await login(a, 'Curve', jwt).expect(200);
      const replay = await login(a, 'Curve', negateEcdsaS(jwt)).expect(401);
      expect(replay.body.msg).toBe('token already used (one-time token replayed)');
    });

    it('expired claims are purged from the database', async () => {
      const dataSource = a.app.get(DataSource);
      await dataSource.query('INSERT INTO sso_replay_claims (claim_key, expires_at) VALUES (?, ?)', ['f'.repeat(64), Date.now() - 1000]);
      expect(await new DatabaseReplayGuard(dataSource).purgeExpired()).toBeGreaterThanOrEqual(1);
      expect(await dataSource.query('SELECT id FROM sso_replay_claims WHERE claim_key = ?', ['f'.repeat(64)])).toEqual([]);
    });
  });

  describe('which users an app may sign in', () => {
    let alice: TestUser;
    beforeAll(async () => {
      alice = await addUser(a.http, root, 'alice');
    });

    it('an app does not sign in a user made by POST /1/users (403), and makes no second user of that name', async () => {
      const res = await login(a, 'Maker', await hs.sign(claims('alice'))).expect(403);
      expect(res.body.msg).toMatch(/^user "alice" exists but is not linked to SSO app "Maker"/);
      expect((await userNames()).filter((n) => n === 'alice')).toHaveLength(1);
    });

    it('an app that does not create users cannot sign in a user another app created', async () => {
      const made = await login(a, 'Maker', await hs.sign(claims('bob'))).expect(200);
      await login(a, 'Maker', await hs.sign(claims('bob'))).expect(200); // the creator, again
      const res = await login(a, 'Reader', await hs.sign(claims('bob'))).expect(403);
      expect(res.body.msg).toMatch(/^user "bob" exists but is not linked to SSO app "Reader"/);
      expect(made.body.data.user.name).toBe('bob');
    });

    it('user names compare exactly: ALICE and Alicé are other users than alice, "alice\\u00a0" is alice (trimmed) and refused', async () => {
      for (const name of ['ALICE', 'Alicé']) {
        const res = await login(a, 'Maker', await hs.sign(claims(name))).expect(200);
        expect(res.body.data.user).toMatchObject({ name });
        expect(res.body.data.user.id).not.toBe(alice.id);
      }
      await login(a, 'Maker', await hs.sign(claims('alice\u00a0'))).expect(403);
      const other = await a.http.post('/1/users').set(auth(root.token)).send({ name: 'Alice' }).expect(200);
      expect(other.body.id).not.toBe(alice.id);
      await a.http.post('/1/users').set(auth(root.token)).send({ name: 'alice' }).expect(409);
      await a.http.post('/1/login').send({ name: 'ALICE', password: 'Init#2025-shared' }).expect(200); // ALICE's own first password
    });

    it('an admin links an existing user to an app, which then signs it in; unlink stops it', async () => {
      const plain = await addUser(a.http, root, 'plain-admin-less');
      const denied = await a.http.post(`${API}/link`).set(auth(plain.token)).send({ name: 'Reader', username: 'alice' }).expect(403);
      expect(denied.body).toEqual({ success: false, msg: 'no permission', code: '403' });
      await a.http.post(`${API}/link`).set(auth(root.token)).send({ name: 'Reader', username: 'nobody' }).expect(404);
      await a.http.post(`${API}/link`).set(auth(root.token)).send({ name: 'Reader', username: 'root' }).expect(403);
      await a.http.post(`${API}/link`).set(auth(root.token)).type('form').send('name=Reader&username=alice').expect(200, { msg: 'success', success: true });
      await a.http.post(`${API}/link`).set(auth(root.token)).send({ name: 'Reader', username: 'alice' }).expect(200); // again: no-op
      const res = await login(a, 'Reader', await hs.sign(claims('alice'))).expect(200);
      expect(res.body.data.user).toMatchObject({ id: alice.id, name: 'alice' });
      await login(a, 'Reader', await hs.sign(claims('Alice'))).expect(403); // the link is for the exact name
      await a.http.post(`${API}/unlink`).set(auth(root.token)).send({ name: 'Reader', username: 'alice' }).expect(200);
      await login(a, 'Reader', await hs.sign(claims('alice'))).expect(403);
      await a.http.post(`${API}/unlink`).set(auth(root.token)).send({ name: 'Reader', username: 'alice' }).expect(404);
    });

    it('deleting an app deletes its links (delete and deleteBatch)', async () => {
      const dataSource = a.app.get(DataSource);
      const linksOf = async (name: string) => {
        const [app] = await dataSource.query('SELECT id FROM sso_apps WHERE name = ?', [name]);
        return Number((await dataSource.query('SELECT COUNT(*) AS n FROM sso_links WHERE app_id = ?', [app.id]))[0].n);
      };
      for (const name of ['Doomed1', 'Doomed2']) {
        await update({ ...SEED_EXAMPLE, name, secret: hs.secretForApp }).expect(200);
        await login(a, name, await hs.sign(claims(`${name}-user`))).expect(200);
        expect(await linksOf(name)).toBe(1);
      }
      const ids = await dataSource.query("SELECT id FROM sso_apps WHERE name IN ('Doomed1', 'Doomed2')");
      await a.http.post(`${API}/delete`).set(auth(root.token)).send({ name: 'Doomed1' }).expect(200);
      await a.http.post(`${API}/deleteBatch`).set(auth(root.token)).send(['Doomed2']).expect(200);
      const left = await dataSource.query(`SELECT id FROM sso_links WHERE app_id IN (${ids.map((r: { id: number }) => Number(r.id)).join(',')})`);
      expect(left).toEqual([]);
      await update({ ...SEED_EXAMPLE, name: 'Doomed1', secret: hs.secretForApp, inituser: '0' }).expect(200);
      await login(a, 'Doomed1', await hs.sign(claims('Doomed1-user'))).expect(403);
    });
  });

  describe('weak and misplaced secrets', () => {
    it("seed 004's request is saved verbatim with a warning, and every login through the app is refused until a proper secret is set", async () => {
      const saved = await update(SEED_EXAMPLE).expect(200);
      const seedIssuer = ExternalIssuer.hmac('HS256', 'abcd');
      for (const loginname of ['seeduser', 'bob']) {
        const res = await login(a, 'ERP', await seedIssuer.sign(claims(loginname))).expect(403);
        expect(res.body).toEqual({ success: false, msg: 'SSO app "ERP" has a weak secret: set one of at least 32 bytes', code: '403' });
      }
      expect(saved.body).toEqual({ msg: 'success', success: true, warning: expect.stringContaining('secret is 4 bytes; HS256 needs at least 32') });
      expect(await userNames()).not.toContain('seeduser');
      const strong = ExternalIssuer.hmac('HS256', randomBytes(32).toString('hex'));
      await update({ ...SEED_EXAMPLE, secret: strong.secretForApp }).expect(200, { msg: 'success', success: true });
      await login(a, 'ERP', await strong.sign(claims('seeduser'))).expect(200);
    });

    it('the minimum follows the hash: 40 bytes is weak for HS384 (48) and HS512 (64)', async () => {
      const secret = 'x'.repeat(40);
      for (const [algorithm, min] of [['HS384', 48], ['HS512', 64]] as const) {
        const saved = await update({ ...SEED_EXAMPLE, name: `Weak-${algorithm}`, algorithm, secret }).expect(200);
        const res = await login(a, `Weak-${algorithm}`, await ExternalIssuer.hmac(algorithm, secret).sign(claims('w'))).expect(403);
        expect(res.body.msg).toBe(`SSO app "Weak-${algorithm}" has a weak secret: set one of at least ${min} bytes`);
        expect(saved.body.warning).toContain(`${algorithm} needs at least ${min}`);
      }
    });

    it('a base64 P-256 public key (MFkw…, SPKI without PEM lines) given as an HS secret is refused as a public key', async () => {
      const bare = es.secretForApp.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      expect(bare.startsWith('MFkw')).toBe(true);
      const res = await update({ ...SEED_EXAMPLE, name: 'Confused', secret: bare }).expect(400);
      expect(res.body.msg).toMatch(/^secret looks like a public key/);
    });
  });

  describe('first passwords', () => {
    it("a created user's initpwd opens a session that may only change the password; then only the new password logs in", async () => {
      await login(a, 'Maker', await hs.sign(claims('dave'))).expect(200);
      await login(a, 'Maker', await hs.sign(claims('erin'))).expect(200);
      const first = await a.http.post('/1/login').send({ name: 'erin', password: 'Init#2025-shared' }).expect(200);
      const restricted = first.body.access_token as string;
      for (const call of [a.http.get('/1/me'), a.http.get('/1/users'), a.http.post('/1/logout'), a.http.get(`${API}/list`)]) {
        const res = await call.set(auth(restricted)).expect(403);
        expect(JSON.stringify(res.body)).toMatch(/password change required/);
      }
      expect(first.body).toMatchObject({ must_change_password: true, user: { name: 'erin' } });
      const put = (body: object) => a.http.put('/1/me/password').set(auth(restricted)).send(body);
      expect((await put({ password: 'erin-new-password' }).expect(400)).body.message).toMatch(/^old_password is required/);
      expect((await put({ old_password: 'wrong-password', password: 'erin-new-password' }).expect(403)).body.message).toMatch(/^old_password does not match/);
      expect((await put({ old_password: 'Init#2025-shared', password: 'short' }).expect(400)).body.message).toMatch(/^password must be at least 8 characters/);
      await put({ old_password: 'Init#2025-shared', password: 'Init#2025-shared' }).expect(400);
      await put({ old_password: 'Init#2025-shared', password: 'erin-new-password' }).expect(200, { message: 'ok' });
      await a.http.get('/1/me').set(auth(restricted)).expect(401); // the restricted session ended
      await a.http.post('/1/login').send({ name: 'erin', password: 'Init#2025-shared' }).expect(401);
      const normal = await a.http.post('/1/login').send({ name: 'erin', password: 'erin-new-password' }).expect(200);
      expect(normal.body.must_change_password).toBeUndefined();
      await a.http.get('/1/me').set(auth(normal.body.access_token)).expect(200);
      // dave, made by the same app with the same initpwd, is not reachable through erin's session
      const dave = await a.http.post('/1/login').send({ name: 'dave', password: 'Init#2025-shared' }).expect(200);
      await a.http.get('/1/me').set(auth(dave.body.access_token)).expect(403);
    });

    it('every user can set a password: without one, no old_password is needed; after that it is', async () => {
      const u = await addUser(a.http, root, 'token-only');
      await a.http.put('/1/me/password').set(auth(u.token)).send({ password: 'token-only-pass' }).expect(200);
      const res = await a.http.post('/1/login').send({ name: 'token-only', password: 'token-only-pass' }).expect(200);
      expect(res.body.must_change_password).toBeUndefined();
      await a.http.get('/1/me').set(auth(res.body.access_token)).expect(200);
      await a.http.put('/1/me/password').set(auth(u.token)).send({ password: 'another-pass' }).expect(400);
      await a.http.put('/1/me/password').set(auth(u.token)).send({ old_password: 'token-only-pass', password: 'x'.repeat(73) }).expect(400);
    });
  });
});
