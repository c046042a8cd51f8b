import { decodeJwt } from 'jose';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { signWith } from '../support/external-issuer';
import { captureStdout } from '../support/log-capture';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addAdmin, addUser, initRoot, TestUser } from '../support/users.builder';

const API = '/plugin/datafor-modeler/api/token';
const MASK = '************';
const now = () => Math.floor(Date.now() / 1000);
/** Datafor's token app fields (its list example), with a secret Tollgate accepts for logins. */
const APP = {
  token_name: 'token',
  expire: 86400,
  fieldmap: { username: 'loginname', name: 'name', email: 'email' },
  algorithm: 'HS256',
  enable: '1',
  inituser: '1',
  initroles: ['SYS_Reader'],
};

/** An issuer key pair as a client holds it: the public key for the app's `secret`, the private one for `generate`. */
function keyPair(kind: 'rsa' | 'ec') {
  const pair = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    /** base64 PKCS#8 without the PEM lines, as Java's `PrivateKey.getEncoded()` gives it. */
    privateBase64: pair.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
  };
}

describe.each(testDatabases())("SSO token apps answer Datafor's documented calls on %s", (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let admin: TestUser;
  let plain: TestUser;
  let logs: ReturnType<typeof captureStdout>;
  const secret = randomBytes(48).toString('base64url');
  const rsa = keyPair('rsa');
  const ec = keyPair('ec');
  const otherRsa = keyPair('rsa');

  const update = (body: object) => t.http.post(`${API}/update`).set(auth(root.token)).send(body);
  const generate = (body: object | string, as: TestUser = root) => {
    const req = t.http.post(`${API}/generate`).set(auth(as.token));
    return typeof body === 'string' ? req.type('form').send(body) : req.send(body);
  };
  const login = (url: string) => t.http.get(url);

  beforeAll(async () => {
    logs = captureStdout();
    t = await createTestApp(database(), { LOG_LEVEL: 'info' });
    root = await initRoot(t.http);
    admin = await addAdmin(t.http, root, 'datafor-admin');
    plain = await addUser(t.http, root, 'datafor-user');
    await update({ ...APP, name: 'ERP', secret }).expect(200);
    await update({ ...APP, name: 'Weak', secret: 'abcd' }).expect(200);
    await update({ ...APP, name: 'RSA', algorithm: 'RS256', secret: rsa.publicPem }).expect(200);
    await update({ ...APP, name: 'EC', algorithm: 'ES256', secret: ec.publicPem }).expect(200);
    await update({ ...APP, name: 'Admins', secret, initroles: ['Administrator'], allow_admin_roles: '1' }).expect(200);
    await update({ ...APP, name: 'Short', secret, expire: 600 }).expect(200);
  });
  afterAll(async () => {
    logs?.stop();
    await t?.close();
  });

  describe('generate', () => {
    it("answers Datafor's JSON call with {success, expire, token}; payload claims beyond fieldmap ride in the token, and it logs in once", async () => {
      const res = await generate({
        name: 'ERP',
        privateKey: secret,
        payload: { username: 'dana', name: 'Dana D', email: 'dana@example.com', roles: ['SYS_CREATOR', 'Manager'], company: 'ACME', dept: 'Sales', password: 'Never#InToken1' },
      }).expect(200);
      expect(res.body).toEqual({
        success: true,
        msg: 'success',
        expire: 86400,
        token: expect.stringMatching(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/),
        url: `/sso/ERP?token=${res.body.token}`,
      });
      const claims = decodeJwt(res.body.token);
      expect(claims).toMatchObject({ loginname: 'dana', name: 'Dana D', email: 'dana@example.com', roles: ['SYS_CREATOR', 'Manager'], company: 'ACME', dept: 'Sales' });
      expect(claims).not.toHaveProperty('username');
      expect(claims).not.toHaveProperty('password');
      expect(claims.exp! - claims.iat!).toBe(86400);
      const first = await login(res.body.url).expect(200);
      expect(first.body.data.user).toMatchObject({ name: 'dana', email: 'dana@example.com', roles: ['SYS_Reader'] });
      const again = await login(res.body.url).expect(401);
      expect(again.body.msg).toMatch(/already used/);
    });

    it("takes Datafor's form fields name, privateKey and username; an HS app needs no privateKey", async () => {
      const form = await generate(new URLSearchParams({ name: 'ERP', privateKey: secret, username: 'erin' }).toString()).expect(200);
      expect(form.body).toMatchObject({ success: true, expire: 86400, token: expect.any(String) });
      expect(decodeJwt(form.body.token)).toMatchObject({ loginname: 'erin' });
      await login(form.body.url).expect(200);
      const noKey = await generate({ name: 'ERP', payload: { username: 'fred' } }).expect(200);
      expect(decodeJwt(noKey.body.token)).toMatchObject({ loginname: 'fred' });
      const differ = await generate({ name: 'ERP', username: 'fred', payload: { username: 'gina' } }).expect(400);
      expect(differ.body).toEqual({ success: false, msg: expect.stringMatching(/^username and payload\.username differ/), code: '400' });
    });

    it('RS256 and ES256 apps sign with the privateKey the client sends: PEM, or base64 PKCS#8 as Java exports it', async () => {
      const viaPem = await generate({ name: 'RSA', privateKey: rsa.privatePem, payload: { username: 'hugo', roles: ['Manager'] } }).expect(200);
      expect(viaPem.body).toMatchObject({ success: true, expire: 86400 });
      expect(viaPem.body.token.split('.')[0]).toBe(Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url'));
      expect((await login(viaPem.body.url).expect(200)).body.data.user.name).toBe('hugo');
      const viaForm = await generate(new URLSearchParams({ name: 'EC', privateKey: ec.privateBase64, username: 'ines' }).toString()).expect(200);
      expect((await login(viaForm.body.url).expect(200)).body.data.user.name).toBe('ines');
      const ecPem = await generate({ name: 'EC', privateKey: ec.privatePem, payload: { username: 'ines' } }).expect(200);
      await t.http.post('/sso/EC').set('Authorization', `Bearer ${ecPem.body.token}`).expect(200);
    });

    it("a privateKey that is not the app's key, or none for an RS app, is a 400 naming privateKey", async () => {
      const refused = async (body: object, pattern: RegExp) => {
        const res = await generate(body).expect(400);
        expect(res.body).toEqual({ success: false, msg: expect.stringMatching(pattern), code: '400' });
        expect(res.text).not.toMatch(/eyJ/);
      };
      const payload = { username: 'mallory' };
      await refused({ name: 'RSA', privateKey: otherRsa.privatePem, payload }, /^privateKey does not match the RS256 public key of SSO app "RSA"$/);
      await refused({ name: 'RSA', privateKey: ec.privatePem, payload }, /^privateKey does not match/);
      await refused({ name: 'RSA', payload }, /^privateKey is required/);
      await refused({ name: 'RSA', privateKey: 'abcd', payload }, /^privateKey must be a private key/);
      await refused({ name: 'RSA', privateKey: rsa.publicPem, payload }, /^privateKey must be a private key/);
      await refused({ name: 'ERP', privateKey: `${secret}x`, payload }, /^privateKey does not match the secret of SSO app "ERP"$/);
      await refused({ name: 'EC', privateKey: otherRsa.privateBase64, payload }, /^privateKey does not match/);
    });

    it('refuses payload fields a token cannot carry, naming them', async () => {
      const refused = async (payload: object, pattern: RegExp) => {
        const res = await generate({ name: 'ERP', payload }).expect(400);
        expect(res.body).toEqual({ success: false, msg: expect.stringMatching(pattern), code: '400' });
      };
      await refused({ username: 'x', exp: now() + 10 * 86400 }, /^payload\.exp: the "exp" claim is set by generate/);
      await refused({ username: 'x', jti: 'fixed' }, /^payload\.jti/);
      await refused({ username: 'x', loginname: 'y' }, /^payload\.loginname: another field already sets the claim "loginname"/);
      await refused({ name: 'No Login' }, /^payload\.username is required/);
      await refused({ username: 'x'.repeat(65) }, /^payload\.username must be/);
      await refused({ username: { nested: true } }, /^payload\.username must be/);
      await refused({ username: 'x', blob: 'y'.repeat(9000) }, /^payload is too large/);
    });

    it("keeps today's rules: admins only, root only for allow_admin_roles apps, and no token from a weak HS secret", async () => {
      const denied = await generate({ name: 'ERP', payload: { username: 'x' } }, plain).expect(403);
      expect(denied.body).toEqual({ success: false, msg: 'no permission', code: '403' });
      await generate({ name: 'ERP', payload: { username: 'x' } }, admin).expect(200);
      const adminsApp = await generate({ name: 'Admins', privateKey: secret, payload: { username: 'boss' } }, admin).expect(403);
      expect(adminsApp.body.msg).toMatch(/^only root may sign tokens for app "Admins"/);
      await generate({ name: 'Admins', payload: { username: 'boss' } }).expect(200);
      const weak = await generate({ name: 'Weak', privateKey: 'abcd', username: 'x' }).expect(403);
      expect(weak.body).toEqual({ success: false, msg: 'SSO app "Weak" has a weak secret: set one of at least 32 bytes', code: '403' });
      await generate({ name: 'Nope', payload: { username: 'x' } }).expect(404);
    });
  });

  describe('list and content', () => {
    it("give createdDate and lastModifiedDate as epoch milliseconds, as Datafor's list does; the other fields stay, the secret masked", async () => {
      const before = Date.now();
      await update({ ...APP, name: 'Dated', secret }).expect(200);
      const created = Date.now();
      await new Promise((r) => setTimeout(r, 20));
      await update({ ...APP, name: 'Dated', secret: MASK, expire: 3600 }).expect(200);
      const after = Date.now();
      const list = await t.http.get(`${API}/list`).set(auth(root.token)).expect(200);
      expect(list.body).toMatchObject({ success: true, msg: 'success' });
      const dated = list.body.data.find((a: { name: string }) => a.name === 'Dated');
      expect(dated).toEqual({
        name: 'Dated',
        token_name: 'token',
        secret: MASK,
        expire: 3600,
        fieldmap: { username: 'loginname', name: 'name', email: 'email' },
        algorithm: 'HS256',
        enable: '1',
        inituser: '1',
        initroles: ['SYS_Reader'],
        initpwd: '',
        issuer: '',
        audience: '',
        clock_tolerance: 60,
        allow_admin_roles: '0',
        createdDate: expect.any(Number),
        lastModifiedDate: expect.any(Number),
        creatorId: root.id,
      });
      expect(dated.createdDate).toBeGreaterThanOrEqual(before - 1);
      expect(dated.createdDate).toBeLessThanOrEqual(created + 1);
      expect(dated.lastModifiedDate).toBeGreaterThan(dated.createdDate);
      expect(dated.lastModifiedDate).toBeLessThanOrEqual(after + 1);
      const content = await t.http.get(`${API}/content`).query({ name: 'Dated' }).set(auth(root.token)).expect(200);
      expect(content.body).toEqual({ success: true, msg: 'success', data: dated });
      expect(list.text).not.toContain(secret);
    });
  });

  describe('the two login rules clients meet', () => {
    it('every JWT works once: a Datafor-style token (no iat, no jti) logs in, and reloading its login URL is refused', async () => {
      const jwt = await signWith('HS256', new TextEncoder().encode(secret), { loginname: 'jack' }, { iat: null, jti: null, exp: now() + 60 });
      await login(`/sso/ERP?token=${jwt}`).expect(200);
      const reload = await login(`/sso/ERP?token=${jwt}`).expect(401);
      expect(reload.body.msg).toBe('token already used (one-time token replayed)');
    });

    it('a JWT whose exp lies more than expire (plus clock_tolerance) seconds ahead is refused', async () => {
      const key = new TextEncoder().encode(secret);
      const far = await signWith('HS256', key, { loginname: 'kim' }, { iat: null, exp: now() + 600 + 60 + 30 });
      const res = await login(`/sso/Short?token=${far}`).expect(401);
      expect(res.body.msg).toBe('token lifetime too long: exp is more than 600s ahead');
      const within = await signWith('HS256', key, { loginname: 'kim' }, { iat: null, exp: now() + 600 });
      await login(`/sso/Short?token=${within}`).expect(200);
    });
  });

  it('no privateKey, secret or JWT appears in any log line of the suite', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const text = logs.text();
    expect(text).toContain('/generate');
    for (const value of [secret, rsa.privateBase64, ec.privateBase64, otherRsa.privateBase64]) expect(text).not.toContain(value.slice(0, 40));
    for (const pem of [rsa.privatePem, ec.privatePem, otherRsa.privatePem]) expect(text).not.toContain(pem.split('\n')[1]);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
