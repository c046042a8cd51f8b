import { ExternalIssuer } from '../support/external-issuer';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { initRoot } from '../support/users.builder';

/** Runs when TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) points at a Redis server. */
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = redisUrl ? describe.each(testDatabases()) : describe.skip.each(testDatabases());

describeWithRedis('SSO one-time tokens shared through Redis, on %s', (_label, database) => {
  let a: TestApp;
  let b: TestApp;
  const issuer = ExternalIssuer.hmac('HS256');

  beforeAll(async () => {
    // Two instances with their own databases, one Redis: the replay guard must be shared.
    a = await createTestApp(database(), { REDIS_URL: redisUrl! });
    b = await createTestApp(database(), { REDIS_URL: redisUrl! });
    for (const t of [a, b]) {
      const root = await initRoot(t.http);
      await t.http
        .post('/plugin/datafor-modeler/api/token/update')
        .set(auth(root.token))
        .send({ name: 'ERP', secret: issuer.secretForApp, expire: 600, algorithm: 'HS256', fieldmap: { username: 'sub' }, inituser: '1' })
        .expect(200);
    }
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a token used on one instance is refused as replayed on another', async () => {
    const jwt = await issuer.sign({ sub: 'alice' });
    await a.http.get('/sso/ERP').query({ token: jwt }).expect(200);
    const replay = await b.http.get('/sso/ERP').query({ token: jwt }).expect(401);
    expect(replay.body.msg).toBe('token already used (replayed jti)');
  });
});
