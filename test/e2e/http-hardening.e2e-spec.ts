import { MAX_BODY_DEPTH } from '../../src/common/http/body-depth';
import { addKey, createToken } from '../support/relay.builder';
import { captureStdout } from '../support/log-capture';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const TOO_DEEP = `request body nested deeper than ${MAX_BODY_DEPTH} levels`;
const CHAT = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 };

/** `[[[…]]]` nested `depth` levels (the outermost array counts as 1). */
function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** A JSON object whose `field` holds arrays nested so that the whole body is `depth` levels deep. */
function bodyWith(fields: Record<string, unknown>, field: string, depth: number): string {
  return JSON.stringify(fields).replace(/}$/, `,"${field}":${nested(depth - 1)}}`);
}

/** Log lines written so far (JSON), once the lines of this turn are out. */
async function logLines(logs: ReturnType<typeof captureStdout>): Promise<Record<string, any>[]> {
  await new Promise((r) => setTimeout(r, 20));
  return logs
    .text()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

describe.each(testDatabases())('HTTP hardening: body depth, request ids of refused bodies, security headers, on %s', (_label, database) => {
  let stub: StubUpstream;
  let t: TestApp;
  let root: TestUser;
  let user: TestUser;
  let logs: ReturnType<typeof captureStdout>;

  beforeAll(async () => {
    logs = captureStdout();
    stub = await StubUpstream.start();
    t = await createTestApp(database(), { LOG_LEVEL: 'info' });
    root = await initRoot(t.http);
    user = await addUser(t.http, root, 'u1');
    await addKey(t.http, root, { key: 'sk-upstream-default', endpoint: stub.baseUrl });
  });
  afterAll(async () => {
    logs.stop();
    await t?.close();
    await stub?.close();
  });

  describe('nesting limit', () => {
    const json = (path: string, body: string) => t.http.post(path).set('Content-Type', 'application/json').send(body);

    it('a JSON body nested 1,500 deep is a 400 in each family’s envelope, the unauthenticated POST /1/login included', async () => {
      const deep = nested(1500);
      expect((await json('/1/login', deep).expect(400)).body).toEqual({ message: TOO_DEEP });
      expect((await json('/1/users', deep).set(auth(root.token)).expect(400)).body).toEqual({ message: TOO_DEEP });
      expect((await json('/api/token/', deep).set(auth(user.token, user.id)).expect(400)).body).toEqual({ success: false, message: TOO_DEEP });
      expect((await json('/plugin/datafor-modeler/api/token/generate', deep).set(auth(root.token)).expect(400)).body).toEqual({ success: false, msg: TOO_DEEP, code: '400' });
    });

    it(`${MAX_BODY_DEPTH} levels pass the check and ${MAX_BODY_DEPTH + 1} do not; brackets inside strings do not count`, async () => {
      const atLimit = await json('/1/login', bodyWith({ name: 'x', password: 'y' }, 'pad', MAX_BODY_DEPTH)).expect(401);
      expect(atLimit.body.message).not.toBe(TOO_DEEP);
      await json('/1/login', bodyWith({ name: 'x', password: 'y' }, 'pad', MAX_BODY_DEPTH + 1)).expect(400, { message: TOO_DEEP });
      await json('/1/login', JSON.stringify({ name: 'x', password: 'y', note: nested(5000), quoted: `"\\${'{'.repeat(5000)}` })).expect(401);
    });

    it('a 1.9 MB nested body is refused with a 400 before it is parsed', async () => {
      await json('/1/login', nested(950_000)).expect(400, { message: TOO_DEEP });
    });

    it('a form nested past the limit is refused the same way; one within it is parsed', async () => {
      const key = (depth: number) => 'a' + '[b]'.repeat(depth - 1);
      const form = (path: string, body: string) => t.http.post(path).set('Content-Type', 'application/x-www-form-urlencoded').send(body);
      await form('/1/login', `${key(MAX_BODY_DEPTH + 1)}=1`).expect(400, { message: TOO_DEEP });
      const within = await form('/1/login', `${key(40)}=1`).expect(400);
      expect(within.body.message).toMatch(/^name /);
    });

    it.each([
      ['/v1/chat/completions', 'tools', CHAT],
      ['/v1/chat/completions', 'messages', { model: 'gpt-3.5-turbo' }],
      ['/v1/completions', 'prompt', { model: 'gpt-3.5-turbo-instruct' }],
      ['/v1/embeddings', 'input', { model: 'text-embedding-3-small' }],
    ])('the relay refuses %s with %s nested 1,500 deep: 400 in OpenAI’s error shape', async (path, field, base) => {
      const token = await createToken(t.app, { userId: user.id });
      const res = await t.http.post(path).set(auth(token.key)).set('Content-Type', 'application/json').send(bodyWith(base, field, 1500)).expect(400);
      expect(res.body).toEqual({ error: { message: TOO_DEEP, type: 'invalid_request_error', code: 'body_too_deep' } });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  it('with RELAY_FAST_PATH=false the Nest relay controller refuses the same body the same way', async () => {
    const nest = await createTestApp(database(), { RELAY_FAST_PATH: 'false' });
    try {
      const res = await nest.http.post('/v1/chat/completions').set(auth('sk-any')).set('Content-Type', 'application/json').send(bodyWith(CHAT, 'tools', 1500)).expect(400);
      expect(res.body).toEqual({ error: { message: TOO_DEEP, type: 'invalid_request_error', code: 'body_too_deep' } });
    } finally {
      await nest.close();
    }
  });

  describe('every request gets its id and its one log line, a refused body included', () => {
    it.each([
      ['malformed JSON', '{"a":', 400],
      ['too deep', nested(100), 400],
      ['too large', JSON.stringify({ name: 'x'.repeat(3 * 1024 * 1024) }), 413],
    ])('%s to POST /1/users', async (_what, body, status) => {
      const id = `refused-${status}-${body.length}`;
      const res = await t.http.post('/1/users').set(auth(root.token)).set('X-Request-Id', id).set('Content-Type', 'application/json').send(body).expect(status);
      expect(res.headers['x-request-id']).toBe(id);
      const lines = (await logLines(logs)).filter((l) => l.req?.id === id);
      expect(lines).toEqual([expect.objectContaining({ req: expect.objectContaining({ method: 'POST', url: '/1/users' }), res: { statusCode: status } })]);
    });
  });

  describe('headers', () => {
    it('every answer says nosniff and sends no Referer; /docs has a CSP that allows only this origin', async () => {
      for (const path of ['/healthz', '/1/me', '/docs/']) {
        const res = await t.http.get(path);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
      }
      const csp = (await t.http.get('/docs/').expect(200)).headers['content-security-policy'];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-eval');
    });

    it('every answer of /1, /api, /plugin and /sso is Cache-Control: no-store, errors included', async () => {
      const other = await addUser(t.http, root, 'u-no-store');
      const answers: [string, Promise<{ headers: Record<string, string> }>][] = [
        ['create user', t.http.post('/1/users').set(auth(root.token)).send({ name: 'u-no-store-2' }).expect(200)],
        ['reset user', t.http.post(`/1/users/${other.id}/reset`).set(auth(root.token)).expect(200)],
        ['me', t.http.get('/1/me').set(auth(root.token)).expect(200)],
        ['login refused', t.http.post('/1/login').send({ name: 'nobody', password: 'x' }).expect(401)],
        ['create token', t.http.post('/api/token/').set(auth(user.token, user.id)).send({ name: 'k' }).expect(200)],
        ['list tokens', t.http.get('/api/token/?p=1').set(auth(user.token, user.id)).expect(200)],
        ['generate', t.http.post('/plugin/datafor-modeler/api/token/generate').set(auth(root.token)).send({ name: 'none' })],
        ['sso login refused', t.http.get('/sso/none?token=x')],
        ['unauthenticated', t.http.get('/1/users').expect(401)],
      ];
      const seen: string[] = [];
      for (const [what, answer] of answers) seen.push(`${what}: ${(await answer).headers['cache-control']}`);
      expect(seen).toEqual(answers.map(([what]) => `${what}: no-store`));
    });
  });
});
