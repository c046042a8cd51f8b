import { generateKeyPairSync } from 'node:crypto';
import { ExternalIssuer, signWith, unsignedJwt } from '../support/external-issuer';
import { captureStdout } from '../support/log-capture';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addAdmin, addUser, initRoot, TestUser } from '../support/users.builder';

const API = '/plugin/datafor-modeler/api/token';
const MASK = '************';
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
const now = () => Math.floor(Date.now() / 1000);

describe.each(testDatabases())('SSO token apps (seed 004) on %s', (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let plain: TestUser;
  let logs: ReturnType<typeof captureStdout>;
  /** Every JWT, secret and session token the suite handled: none may reach a log line. */
  const sensitive: string[] = [];
  const seen = <T extends string>(value: T): T => {
    sensitive.push(value);
    return value;
  };

  const hs = ExternalIssuer.hmac('HS256', 'erp-shared-secret-0123456789-abcdefghijklmnop');
  let rs: ExternalIssuer;
  let es: ExternalIssuer;

  const update = (body: object | string, as: TestUser = root) => {
    const req = t.http.post(`${API}/update`).set(auth(as.token));
    return typeof body === 'string' ? req.type('form').send(body) : req.send(body);
  };
  const ssoGet = (app: string, jwt: string, param = 'token') => t.http.get(`/sso/${app}`).query({ [param]: seen(jwt) });
  const ssoPost = (app: string, jwt: string) => t.http.post(`/sso/${app}`).set('Authorization', `Bearer ${seen(jwt)}`);

  beforeAll(async () => {
    logs = captureStdout();
    rs = await ExternalIssuer.asymmetric('RS256');
    es = await ExternalIssuer.asymmetric('ES256');
    seen(hs.secretForApp);
    t = await createTestApp(database(), { LOG_LEVEL: 'info' });
    root = await initRoot(t.http);
    plain = await addUser(t.http, root, 'plain-user');
  });
  afterAll(async () => {
    logs?.stop();
    await t?.close();
  });

  describe('config API', () => {
    it("accepts seed 004's example request verbatim (JSON) with a warning for the 4-byte HS secret", async () => {
      const res = await update(SEED_EXAMPLE).expect(200);
      expect(res.body).toEqual({ msg: 'success', success: true, warning: expect.stringContaining('4 bytes') });
    });

    it('accepts the same example form-encoded, as the seed says (fieldmap[x]=, repeated initroles)', async () => {
      const form =
        'name=ERP-form&token_name=token&secret=abcd&expire=86400&fieldmap[username]=loginname&fieldmap[name]=name' +
        '&fieldmap[email]=email&algorithm=HS256&enable=1&inituser=1&initroles=SYS_Reader&initroles=SYS_Writer';
      const res = await update(form).expect(200);
      expect(res.body).toMatchObject({ msg: 'success', success: true });
      const content = await t.http.get(`${API}/content`).query({ name: 'ERP-form' }).set(auth(root.token)).expect(200);
      expect(content.body.data).toMatchObject({
        name: 'ERP-form',
        fieldmap: { username: 'loginname', name: 'name', email: 'email' },
        initroles: ['SYS_Reader', 'SYS_Writer'],
        expire: 86400,
        enable: '1',
        inituser: '1',
      });
    });

    it('accepts initroles and fieldmap as JSON strings in a form body', async () => {
      const form = new URLSearchParams({
        name: 'ERP-json-strings',
        secret: hs.secretForApp,
        expire: '600',
        algorithm: 'HS256',
        fieldmap: JSON.stringify({ username: 'sub' }),
        initroles: JSON.stringify(['A', 'B']),
      }).toString();
      const res = await update(form).expect(200);
      expect(res.body).toEqual({ msg: 'success', success: true });
      const content = await t.http.get(`${API}/content`).query({ name: 'ERP-json-strings' }).set(auth(root.token)).expect(200);
      expect(content.body.data).toMatchObject({ fieldmap: { username: 'sub' }, initroles: ['A', 'B'], token_name: 'token', inituser: '0' });
    });

    it('list and content show the secret masked, with createdDate, lastModifiedDate and creatorId', async () => {
      const list = await t.http.get(`${API}/list`).set(auth(root.token)).expect(200);
      expect(list.body).toMatchObject({ msg: 'success', success: true });
      const erp = list.body.data.find((a: { name: string }) => a.name === 'ERP');
      expect(erp).toMatchObject({ name: 'ERP', secret: MASK, algorithm: 'HS256', initroles: ['SYS_Reader'], creatorId: root.id });
      expect(new Date(erp.createdDate).getTime()).toBeGreaterThan(0);
      expect(new Date(erp.lastModifiedDate).getTime()).toBeGreaterThan(0);
      expect(list.text).not.toContain('abcd');
      expect(list.text).not.toContain(hs.secretForApp);
      const one = await t.http.get(`${API}/content`).query({ name: 'ERP' }).set(auth(root.token)).expect(200);
      expect(one.body.data.secret).toBe(MASK);
      await t.http.get(`${API}/content`).query({ name: 'nope' }).set(auth(root.token)).expect(404);
    });

    it('refuses bad fields with 400 in the seed 004 error envelope, naming the field', async () => {
      const bad = async (body: object, pattern: RegExp) => {
        const res = await update({ ...SEED_EXAMPLE, name: 'Bad', ...body }).expect(400);
        expect(res.body).toEqual({ success: false, msg: expect.stringMatching(pattern), code: '400' });
      };
      await bad({ name: 'has space' }, /^name /);
      await bad({ algorithm: 'none' }, /^algorithm must be one of/);
      await bad({ fieldmap: { name: 'n' } }, /fieldmap\.username/);
      await bad({ expire: 'soon' }, /^expire /);
      await bad({ enable: 'yes' }, /^enable /);
      await bad({ secret: undefined }, /^secret is required/);
      await bad({ algorithm: 'RS256', secret: 'not a key' }, /^secret /);
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      await bad({ algorithm: 'RS256', secret: small }, /^secret: RSA keys must be at least 2048 bits/);
      await bad({ algorithm: 'ES256', secret: rs.secretForApp }, /^secret must be an EC public key/);
      await bad({ algorithm: 'HS256', secret: rs.secretForApp }, /^secret looks like a public key/);
      await bad({ initroles: ['Administrator'] }, /^initroles: Administrator/);
      await t.http.get(`${API}/content`).query({ name: 'Bad' }).set(auth(root.token)).expect(404);
    });

    it('accepts RS256 and ES256 public keys as PEM or base64 SPKI without the PEM lines', async () => {
      await update({ ...SEED_EXAMPLE, name: 'RS-app', algorithm: 'RS256', secret: rs.secretForApp }).expect(200, { msg: 'success', success: true });
      const bare = es.secretForApp.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      await update({ ...SEED_EXAMPLE, name: 'ES-app', algorithm: 'ES256', secret: bare }).expect(200, { msg: 'success', success: true });
    });

    it('Administrator in initroles is allowed only with allow_admin_roles=1', async () => {
      await update({ ...SEED_EXAMPLE, name: 'Admins', secret: hs.secretForApp, initroles: ['Administrator'], allow_admin_roles: '1' }).expect(200);
    });

    it('only root may configure an app that signs admins in: an admin cannot raise anyone through SSO', async () => {
      const admin = await addAdmin(t.http, root, 'sso-admin');
      const body = { ...SEED_EXAMPLE, name: 'Escalate', secret: hs.secretForApp, initroles: ['Administrator'], allow_admin_roles: '1' };
      const refused = await update(body, admin).expect(403);
      expect(refused.body).toEqual({ success: false, msg: 'only root may configure an app with allow_admin_roles=1', code: '403' });
      await update({ ...SEED_EXAMPLE, name: 'Admins', secret: hs.secretForApp }, admin).expect(403); // nor change one root made
      const sign = await t.http.post(`${API}/generate`).set(auth(admin.token)).send({ name: 'Admins', payload: { username: 'root' } }).expect(403);
      expect(sign.body.msg).toMatch(/only root may sign tokens/);
    });

    it('only root may delete an app that signs admins in: delete is 403, and a deleteBatch naming one is refused whole', async () => {
      const admin = await addAdmin(t.http, root, 'sso-admin-delete');
      await update({ ...SEED_EXAMPLE, name: 'RootsOwn', secret: hs.secretForApp, initroles: ['Administrator'], allow_admin_roles: '1' }).expect(200);
      await update({ ...SEED_EXAMPLE, name: 'Ordinary', secret: hs.secretForApp }).expect(200);
      const one = await t.http.post(`${API}/delete`).set(auth(admin.token)).send({ name: 'RootsOwn' }).expect(403);
      expect(one.body).toEqual({ success: false, msg: 'only root may delete app "RootsOwn": it may sign admins in (allow_admin_roles=1)', code: '403' });
      const batch = await t.http.post(`${API}/deleteBatch`).set(auth(admin.token)).send(['Ordinary', 'RootsOwn', 'ghost']).expect(403);
      expect(batch.body).toEqual({ success: false, msg: expect.stringMatching(/^only root may delete app "RootsOwn": .*nothing was deleted$/), code: '403' });
      const form = await t.http.post(`${API}/deleteBatch`).set(auth(admin.token)).type('form').send('names=Ordinary&names=RootsOwn').expect(403);
      expect(form.body.success).toBe(false);
      const names = (await t.http.get(`${API}/list`).set(auth(root.token)).expect(200)).body.data.map((a: { name: string }) => a.name);
      expect(names).toEqual(expect.arrayContaining(['Ordinary', 'RootsOwn']));
      await t.http.post(`${API}/deleteBatch`).set(auth(admin.token)).send(['Ordinary']).expect(200); // an ordinary app stays the admins'
      await t.http.post(`${API}/delete`).set(auth(root.token)).send({ name: 'RootsOwn' }).expect(200, { msg: 'success', success: true });
    });

    it('refuses a common user (403 "no permission") and an anonymous caller (401) on every config route', async () => {
      const routes = [
        () => t.http.post(`${API}/update`).send(SEED_EXAMPLE),
        () => t.http.get(`${API}/list`),
        () => t.http.get(`${API}/content`).query({ name: 'ERP' }),
        () => t.http.post(`${API}/delete`).send({ name: 'ERP' }),
        () => t.http.post(`${API}/deleteBatch`).send(['ERP']),
        () => t.http.post(`${API}/generate`).send({ name: 'ERP', payload: { username: 'x' } }),
      ];
      for (const route of routes) {
        const denied = await route().set(auth(plain.token)).expect(403);
        expect(denied.body).toEqual({ success: false, msg: 'no permission', code: '403' });
        const anonymous = await route().expect(401);
        expect(anonymous.body).toMatchObject({ success: false, code: '401' });
      }
      await t.http.get(`${API}/content`).query({ name: 'ERP' }).set(auth(root.token)).expect(200);
    });
  });

  describe('login', () => {
    beforeAll(async () => {
      await update({
        ...SEED_EXAMPLE,
        name: 'HS-app',
        secret: hs.secretForApp,
        expire: 3600,
        initpwd: 'Init#2025-pass',
        issuer: 'https://erp.example.com',
        audience: 'tollgate',
        clock_tolerance: 5,
      }).expect(200);
    });
    const claims = (login: string) => ({ loginname: login, name: `Name ${login}`, email: `${login}@example.com` });
    const hsToken = (login: string, options = {}) => hs.sign(claims(login), { iss: 'https://erp.example.com', aud: 'tollgate', ...options });

    it('HS256: the first login creates the user with initroles and initpwd and returns a session (no-store, no-referrer)', async () => {
      const res = await ssoGet('HS-app', await hsToken('alice')).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.body).toEqual({
        success: true,
        msg: 'success',
        data: {
          access_token: expect.stringMatching(/^tgs_[0-9A-Za-z]{48}$/),
          expires_at: expect.any(Number),
          user: { id: expect.any(Number), name: 'alice', email: 'alice@example.com', roles: ['SYS_Reader'] },
        },
      });
      seen(res.body.data.access_token);
      expect(res.body.data.expires_at).toBeGreaterThanOrEqual(now() + 43_200 - 5);
      const me = await t.http.get('/1/me').set(auth(res.body.data.access_token)).expect(200);
      expect(me.body).toMatchObject({ name: 'alice', role: 1 });
      const login = await t.http.post('/1/login').send({ name: 'alice', password: seen('Init#2025-pass') }).expect(200);
      expect(login.body).toMatchObject({ access_token: expect.stringMatching(/^tgs_/), user: { name: 'alice', roles: ['SYS_Reader'] } });
      seen(login.body.access_token);
    });

    it('a second login keeps the roles the user got, even after the app changes initroles', async () => {
      await update({ ...SEED_EXAMPLE, name: 'HS-app', secret: MASK, expire: 3600, initroles: ['Other'], issuer: 'https://erp.example.com', audience: 'tollgate', clock_tolerance: 5 }).expect(200);
      const res = await ssoPost('HS-app', await hsToken('alice')).expect(200);
      expect(res.body.data.user).toMatchObject({ name: 'alice', roles: ['SYS_Reader'] });
      seen(res.body.data.access_token);
    });

    it("a secret sent as '************' (or left out) on an update is kept: tokens still verify", async () => {
      await update({ ...SEED_EXAMPLE, name: 'HS-app', expire: 3600, secret: undefined, issuer: 'https://erp.example.com', audience: 'tollgate', clock_tolerance: 5 }).expect(200);
      await ssoGet('HS-app', await hsToken('alice')).expect(200);
      const kept = await update({ ...SEED_EXAMPLE, secret: MASK, expire: 600 }).expect(200);
      expect(kept.body).toEqual({ msg: 'success', success: true, warning: expect.stringContaining('secret is 4 bytes') }); // seed's 'abcd' kept, still weak
      const seedIssuer = ExternalIssuer.hmac('HS256', 'abcd');
      const viaSeed = await ssoGet('ERP', await seedIssuer.sign({ loginname: 'seeduser', name: 'Seed User', email: 's@example.com' })).expect(403);
      expect(viaSeed.body.msg).toBe('SSO app "ERP" has a weak secret: set one of at least 32 bytes');
      const content = await t.http.get(`${API}/content`).query({ name: 'ERP' }).set(auth(root.token)).expect(200);
      expect(content.body.data).toMatchObject({ secret: MASK, expire: 600 });
    });

    it('RS256 (query) and ES256 (Bearer) logins', async () => {
      const r = await ssoGet('RS-app', await rs.sign(claims('bob'))).expect(200);
      expect(r.body.data.user).toMatchObject({ name: 'bob', roles: ['SYS_Reader'], email: 'bob@example.com' });
      const e = await ssoPost('ES-app', await es.sign(claims('carol'))).expect(200);
      expect(e.body.data.user).toMatchObject({ name: 'carol', roles: ['SYS_Reader'] });
      seen(r.body.data.access_token);
      seen(e.body.data.access_token);
    });

    it('honours a custom token_name for the query parameter', async () => {
      await update({ ...SEED_EXAMPLE, name: 'Portal', token_name: 'jwt', secret: hs.secretForApp }).expect(200);
      await ssoGet('Portal', await hs.sign(claims('dave')), 'token').expect(401);
      await ssoGet('Portal', await hs.sign(claims('dave')), 'jwt').expect(200);
    });

    it('refuses each bad token with its own message', async () => {
      await update({ ...SEED_EXAMPLE, name: 'Closed', secret: hs.secretForApp, enable: '0' }).expect(200);
      await update({ ...SEED_EXAMPLE, name: 'NoCreate', secret: hs.secretForApp, inituser: '0' }).expect(200);
      const replayed = await hsToken('alice');
      await ssoGet('HS-app', replayed).expect(200);
      const cases: [string, Promise<unknown>, number, RegExp][] = [
        ['alg none', ssoGet('HS-app', unsignedJwt(claims('mallory'))), 401, /alg "none"/],
        ['HS256 keyed with the RS public key', ssoGet('RS-app', await signWith('HS256', new TextEncoder().encode(rs.secretForApp), claims('mallory'))), 401, /algorithm HS256 refused/],
        ['wrong secret', ssoGet('HS-app', await ExternalIssuer.hmac('HS256').sign(claims('mallory'), { iss: 'https://erp.example.com', aud: 'tollgate' })), 401, /invalid token signature/],
        ['expired', ssoGet('HS-app', await hsToken('alice', { iat: now() - 600, exp: now() - 300 })), 401, /expired/],
        ['too old by iat', ssoGet('HS-app', await hsToken('alice', { iat: now() - 7200, exp: now() + 60 })), 401, /too old/],
        ['wrong iss', ssoGet('HS-app', await hsToken('alice', { iss: 'https://evil.example.com' })), 401, /issuer/],
        ['wrong aud', ssoGet('HS-app', await hsToken('alice', { aud: 'someone-else' })), 401, /audience/],
        ['no exp', ssoGet('HS-app', await hsToken('alice', { exp: null })), 401, /no "exp"/],
        ['replayed jti', ssoGet('HS-app', replayed), 401, /replayed jti/],
        ['disabled app', ssoGet('Closed', await hs.sign(claims('alice'))), 403, /disabled/],
        ['inituser "0" and an unknown user', ssoGet('NoCreate', await hs.sign(claims('stranger'))), 403, /inituser "0"/],
        ['missing fieldmap.username claim', ssoGet('HS-app', await hsToken('x').then(() => hs.sign({ name: 'No Login' }, { iss: 'https://erp.example.com', aud: 'tollgate' }))), 401, /"loginname" claim/],
        ['no token', t.http.get('/sso/HS-app'), 401, /missing token/],
        ['unknown app', ssoGet('Nope', await hs.sign(claims('alice'))), 404, /unknown SSO app/],
      ];
      const messages = new Set<string>();
      for (const [label, pending, status, pattern] of cases) {
        const res = (await pending) as { status: number; body: { success: boolean; msg: string; code: string } };
        expect({ label, status: res.status }).toEqual({ label, status });
        expect({ label, body: res.body }).toEqual({ label, body: { success: false, msg: expect.stringMatching(pattern), code: String(status) } });
        messages.add(res.body.msg);
      }
      expect(messages.size).toBe(cases.length);
      await t.http.get('/1/users').set(auth(root.token)).expect(200).then((r) => expect(r.body.map((u: { name: string }) => u.name)).not.toContain('stranger'));
    });

    it('a disabled user is refused (403) and its sessions stop at once; root never logs in through SSO, admins only through apps that allow admin roles', async () => {
      const first = await ssoGet('RS-app', await rs.sign(claims('erin'))).expect(200);
      const session = seen(first.body.data.access_token as string);
      await t.http.get('/1/me').set(auth(session)).expect(200);
      await t.http.patch(`/1/users/${first.body.data.user.id}`).set(auth(root.token)).send({ status: 2 }).expect(200);
      await t.http.get('/1/me').set(auth(session)).expect(401);
      const res = await ssoGet('RS-app', await rs.sign(claims('erin'))).expect(403);
      expect(res.body.msg).toMatch(/user "erin" is disabled/);
      const asRoot = await ssoGet('RS-app', await rs.sign(claims('root'))).expect(403);
      expect(asRoot.body.msg).toMatch(/root account cannot log in through SSO/);
      const rootViaAdminsApp = await ssoGet('Admins', await hs.sign(claims('root'))).expect(403); // not even where admins may
      expect(rootViaAdminsApp.body.msg).toMatch(/root account cannot log in through SSO/);
      const adminAccount = await addAdmin(t.http, root, 'local-admin');
      const asAdmin = await ssoGet('RS-app', await rs.sign(claims(adminAccount.name))).expect(403);
      expect(asAdmin.body.msg).toMatch(/admin account/);
      const admins = await ssoGet('Admins', await hs.sign(claims('boss'))).expect(200);
      seen(admins.body.data.access_token);
      const me = await t.http.get('/1/me').set(auth(admins.body.data.access_token)).expect(200);
      expect(me.body.role).toBe(10);
    });

    it('POST /1/logout revokes the session at once; a user access token cannot log out', async () => {
      const res = await ssoGet('HS-app', await hsToken('alice')).expect(200);
      const session = seen(res.body.data.access_token as string);
      await t.http.get('/1/me').set(auth(session)).expect(200);
      await t.http.post('/1/logout').set(auth(session)).expect(200, { message: 'ok' });
      await t.http.get('/1/me').set(auth(session)).expect(401);
      await t.http.post('/1/logout').set(auth(root.token)).expect(400);
    });

    it('generate signs a token for an HS app that logs in once; an RS app needs the privateKey', async () => {
      const res = await t.http.post(`${API}/generate`).set(auth(root.token)).send({ name: 'HS-app', payload: { username: 'frank', email: 'f@example.com' } }).expect(200);
      expect(res.body).toMatchObject({ msg: 'success', success: true, expire: 3600, token: expect.any(String) });
      seen(res.body.token);
      expect(res.body.url).toBe(`/sso/HS-app?token=${res.body.token}`);
      const login = await ssoGet('HS-app', res.body.token).expect(200);
      seen(login.body.data.access_token);
      expect(login.body.data.user).toMatchObject({ name: 'frank', email: 'f@example.com' });
      const form = await t.http.post(`${API}/generate`).set(auth(root.token)).type('form').send('name=HS-app&payload[username]=gina').expect(200);
      seen(form.body.token);
      const rsRes = await t.http.post(`${API}/generate`).set(auth(root.token)).send({ name: 'RS-app', payload: { username: 'x' } }).expect(400);
      expect(rsRes.body.msg).toMatch(/^privateKey is required/);
    });

    it('POST /1/login refuses a wrong password with one message, and is rate-limited per address', async () => {
      const wrong = await t.http.post('/1/login').send({ name: 'alice', password: 'nope' }).expect(401);
      expect(wrong.body).toEqual({ message: 'invalid name or password' });
      const unknown = await t.http.post('/1/login').send({ name: 'ghost', password: 'nope' }).expect(401);
      expect(unknown.body).toEqual({ message: 'invalid name or password' });
      let limited = 0;
      for (let i = 0; i < 12; i++) {
        const r = await t.http.post('/1/login').send({ name: 'alice', password: 'nope' });
        if (r.status === 429) limited++;
      }
      expect(limited).toBeGreaterThan(0);
    });
  });

  describe('delete', () => {
    it('delete removes one app (404 for unknown); deleteBatch removes several in one go and skips unknown names', async () => {
      await t.http.post(`${API}/delete`).set(auth(root.token)).type('form').send('name=ERP-form').expect(200, { msg: 'success', success: true });
      await t.http.post(`${API}/delete`).set(auth(root.token)).send({ name: 'ERP-form' }).expect(404);
      const res = await t.http.post(`${API}/deleteBatch`).set(auth(root.token)).send(['ERP', 'ERP-json-strings', 'ghost']).expect(200);
      expect(res.body).toEqual({ msg: 'success', success: true, data: { deleted: ['ERP', 'ERP-json-strings'], skipped: ['ghost'] } });
      const form = await t.http.post(`${API}/deleteBatch`).set(auth(root.token)).type('form').send('names=Portal&names=ghost2').expect(200);
      expect(form.body.data).toEqual({ deleted: ['Portal'], skipped: ['ghost2'] });
      await t.http.post(`${API}/deleteBatch`).set(auth(root.token)).send([]).expect(400);
      const list = await t.http.get(`${API}/list`).set(auth(root.token)).expect(200);
      expect(list.body.data.map((a: { name: string }) => a.name)).not.toEqual(expect.arrayContaining(['ERP']));
    });
  });

  it('no JWT, secret or session token appears in any log line of the suite', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const text = logs.text();
    expect(text).toMatch(/"url":"\/sso\/HS-app\?token=\[REDACTED\]"/);
    for (const value of sensitive) expect(text).not.toContain(value);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(text).not.toContain('BEGIN PUBLIC KEY');
  });
});
