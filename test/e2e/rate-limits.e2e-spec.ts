import { randomBytes, randomInt } from 'node:crypto';
import { ExternalIssuer } from '../support/external-issuer';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { TestDatabase, testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';
import { createToken } from '../support/tokens.builder';

const API = '/plugin/datafor-modeler/api/token';
const PASSWORD = 'Init#2025-right-password';
const redisUrl = process.env.TEST_REDIS_URL;

/** A client address of its own for each call (sent as X-Forwarded-For; the app runs with TRUST_PROXY=true). */
const anAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
/** An account name no other run uses (limits may live in a shared Redis). */
const anAccount = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** The same database handed to a second instance (created and dropped by the first). */
function sameDatabase(url: string): TestDatabase {
  return { label: 'shared', create: async () => url, drop: async () => undefined };
}

/** An SSO app that creates users with {@link PASSWORD}, and a user `name` made through it. */
async function userWithPassword(t: TestApp, root: TestUser, name: string): Promise<void> {
  const issuer = ExternalIssuer.hmac('HS256');
  await t.http
    .post(`${API}/update`)
    .set(auth(root.token))
    .send({ name: 'Pwd', secret: issuer.secretForApp, expire: 600, algorithm: 'HS256', fieldmap: { username: 'sub' }, inituser: '1', initpwd: PASSWORD })
    .expect(200);
  await t.http.get('/sso/Pwd').query({ token: await issuer.sign({ sub: name }) }).expect(200);
}

const login = (t: TestApp, name: string, password: string, address = anAddress()) =>
  t.http.post('/1/login').set('X-Forwarded-For', address).send({ name, password });

describe.each(testDatabases())('Login and SSO limits in one instance (%s)', (_label, makeDb) => {
  let t: TestApp;
  let root: TestUser;

  beforeAll(async () => {
    t = await createTestApp(makeDb(), { TRUST_PROXY: 'true' });
    root = await initRoot(t.http);
  });
  afterAll(() => t?.close());

  it('POST /1/login: 10 attempts on one account from 10 addresses, then 429 with Retry-After even for the right password; name variants share the budget', async () => {
    const victim = anAccount('victim');
    await userWithPassword(t, root, victim);
    await login(t, victim, PASSWORD).expect(200);
    const variants = [victim, ` ${victim.toUpperCase()} `, victim.replace('i', 'í'), victim.replace('v', 'V')];
    for (let i = 0; i < 9; i++) await login(t, variants[i % variants.length], 'wrong').expect(401);
    const refused = await login(t, victim, PASSWORD).expect(429);
    expect(refused.body).toEqual({ message: expect.stringMatching(/^too many requests: at most 10 per 900 s; retry in \d+ s$/) });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
    await login(t, anAccount('bystander'), 'wrong').expect(401); // another account, from a fresh address
  });

  it('POST /1/login: one address gets 10 attempts a minute over any names, then 429 with Retry-After', async () => {
    const address = anAddress();
    for (let i = 0; i < 10; i++) await login(t, anAccount('spray'), 'wrong', address).expect(401);
    const refused = await login(t, anAccount('spray'), 'wrong', address).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await login(t, anAccount('spray'), 'wrong').expect(401);
  });

  it('GET/POST /sso/:name: 60 attempts a minute from one address, then 429 in seed 004 envelope with Retry-After', async () => {
    const address = anAddress();
    for (let i = 0; i < 60; i++) {
      const res = await (i % 2 ? t.http.get('/sso/ghost').query({ token: 'x' }) : t.http.post('/sso/ghost').set('Authorization', 'Bearer x')).set('X-Forwarded-For', address);
      expect(res.status).not.toBe(429);
    }
    const refused = await t.http.get('/sso/ghost').query({ token: 'x' }).set('X-Forwarded-For', address).expect(429);
    expect(refused.body).toEqual({ success: false, msg: expect.stringMatching(/^too many requests/), code: '429' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const other = await t.http.get('/sso/ghost').query({ token: 'x' }).set('X-Forwarded-For', anAddress());
    expect(other.status).not.toBe(429);
  });
});

const describeWithRedis = redisUrl ? describe.each(testDatabases()) : describe.skip.each(testDatabases());

describeWithRedis('Limits shared by two instances through Redis, on one database (%s)', (_label, makeDb) => {
  let a: TestApp;
  let b: TestApp;
  let root: TestUser;

  beforeAll(async () => {
    const database = makeDb();
    let url = '';
    const capture: TestDatabase = { ...database, create: async () => (url = await database.create()), drop: () => database.drop() };
    const env = { REDIS_URL: redisUrl!, TRUST_PROXY: 'true' };
    a = await createTestApp(capture, env);
    b = await createTestApp(sameDatabase(url), env);
    root = await initRoot(a.http);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const either = (i: number) => (i % 2 ? a : b);

  it('POST /1/login: the per-address limit holds across both instances (10 in all, not 10 each)', async () => {
    const address = anAddress();
    for (let i = 0; i < 10; i++) await login(either(i), anAccount('lb'), 'wrong', address).expect(401);
    for (const t of [a, b]) await login(t, anAccount('lb'), 'wrong', address).expect(429);
  });

  it('POST /1/login: an attack on one account from many addresses through both instances is stopped after 10', async () => {
    const victim = anAccount('lb-victim');
    await userWithPassword(a, root, victim);
    for (let i = 0; i < 10; i++) await login(either(i), victim, 'wrong').expect(401);
    for (const t of [a, b]) {
      const refused = await login(t, victim, PASSWORD).expect(429);
      expect(refused.body.message).toMatch(/^too many requests/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('SSO logins from one address are counted across both instances', async () => {
    const address = anAddress();
    for (let i = 0; i < 60; i++) expect((await either(i).http.get('/sso/ghost').query({ token: 'x' }).set('X-Forwarded-For', address)).status).not.toBe(429);
    for (const t of [a, b]) await t.http.post('/sso/ghost').set('Authorization', 'Bearer x').set('X-Forwarded-For', address).expect(429);
  });

  it('reveal (POST /api/token/:id/key) allows 10 a minute per user across both instances', async () => {
    const user = await addUser(a.http, root, anAccount('revealer'));
    const { id } = await createToken(a.app, a.http, user, { name: 'r', remain_quota: 1, expired_time: -1 });
    for (let i = 0; i < 10; i++) await either(i).http.post(`/api/token/${id}/key`).set(auth(user.token, user.id)).expect(200);
    for (const t of [a, b]) {
      const refused = await t.http.post(`/api/token/${id}/key`).set(auth(user.token, user.id)).expect(429);
      expect(refused.body).toEqual({ success: false, message: expect.stringMatching(/^too many requests/) });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
});
