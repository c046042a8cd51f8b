import { addKey, createToken } from '../support/relay.builder';
import { captureStdout } from '../support/log-capture';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const CHAT = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 };

describe.each(testDatabases())('Relay HTTP fast path on %s', (_label, database) => {
  let stub: StubUpstream;

  beforeAll(async () => {
    stub = await StubUpstream.start();
  });
  afterAll(async () => stub?.close());

  async function boot(env: Record<string, string> = {}): Promise<{ t: TestApp; user: TestUser }> {
    const t = await createTestApp(database(), env);
    const root = await initRoot(t.http);
    const user = await addUser(t.http, root, 'u1');
    await addKey(t.http, root, { key: 'sk-upstream-default', endpoint: stub.baseUrl });
    return { t, user };
  }

  describe('defaults', () => {
    let t: TestApp;
    let user: TestUser;
    let logs: ReturnType<typeof captureStdout>;

    beforeAll(async () => {
      logs = captureStdout();
      ({ t, user } = await boot({ LOG_LEVEL: 'info' }));
    });
    afterAll(async () => {
      logs.stop();
      await t?.close();
    });

    it('echoes a well-formed X-Request-Id and logs one line for it without the API key', async () => {
      const token = await createToken(t.app, { userId: user.id });
      const res = await t.http.post('/v1/chat/completions?api_key=oops').set(auth(token.key)).set('X-Request-Id', 'relay-req-1').send(CHAT).expect(200);
      expect(res.headers['x-request-id']).toBe('relay-req-1');
      await new Promise((r) => setTimeout(r, 20));
      const lines = logs.text().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(lines.find((l) => l.req?.id === 'relay-req-1')).toMatchObject({
        msg: 'request completed',
        userId: user.id,
        req: { method: 'POST', url: '/v1/chat/completions?api_key=[REDACTED]' },
        res: { statusCode: 200 },
      });
      expect(logs.text()).not.toContain(token.key.slice(3));
      expect(logs.text()).not.toContain('sk-upstream-default');
    });

    it('malformed JSON is a 400 and an oversized body a 413, both in OpenAI error shape', async () => {
      const token = await createToken(t.app, { userId: user.id });
      const bad = await t.http.post('/v1/chat/completions').set(auth(token.key)).set('Content-Type', 'application/json').send('{"model": ').expect(400);
      expect(bad.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(/^malformed JSON body/) });
      const big = await t.http
        .post('/v1/chat/completions')
        .set(auth(token.key))
        .send({ ...CHAT, pad: 'x'.repeat(3 * 1024 * 1024) })
        .expect(413);
      expect(big.body.error.message).toBe('request body too large');
    });

    it('ignores X-Forwarded-For unless TRUST_PROXY says so: allow_ips sees the socket address', async () => {
      const token = await createToken(t.app, { userId: user.id, allowIps: ['10.1.2.3'] });
      const res = await t.http.post('/v1/chat/completions').set(auth(token.key)).set('X-Forwarded-For', '10.1.2.3').send(CHAT).expect(403);
      expect(res.body.error.code).toBe('ip_not_allowed');
    });

    it('leaves every other route to Express and Nest', async () => {
      await t.http.get('/healthz').expect(200, { status: 'ok' });
      await t.http.get('/v1/models').expect(401);
    });
  });

  it('with TRUST_PROXY=true the first X-Forwarded-For address is the client for allow_ips', async () => {
    const { t, user } = await boot({ TRUST_PROXY: 'true' });
    try {
      const token = await createToken(t.app, { userId: user.id, allowIps: ['10.1.2.0/24'] });
      await t.http.post('/v1/chat/completions').set(auth(token.key)).set('X-Forwarded-For', '10.1.2.3').send(CHAT).expect(200);
      await t.http.post('/v1/chat/completions').set(auth(token.key)).set('X-Forwarded-For', '10.9.9.9').send(CHAT).expect(403);
    } finally {
      await t.close();
    }
  });

  it('with RELAY_FAST_PATH=false the Nest controller serves the same relay', async () => {
    const { t, user } = await boot({ RELAY_FAST_PATH: 'false' });
    try {
      const token = await createToken(t.app, { userId: user.id });
      const res = await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
      expect(res.body.usage.total_tokens).toBe(55);
      const refused = await t.http.post('/v1/chat/completions').set(auth('sk-unknown')).send(CHAT).expect(401);
      expect(refused.body.error.code).toBe('invalid_api_key');
    } finally {
      await t.close();
    }
  });
});
