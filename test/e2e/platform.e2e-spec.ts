import { DataSource } from 'typeorm';
import { captureStdout } from '../support/log-capture';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

describe.each(testDatabases())('Platform: docs, health, logs on %s', (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let logs: ReturnType<typeof captureStdout>;

  beforeAll(async () => {
    logs = captureStdout();
    t = await createTestApp(database(), { LOG_LEVEL: 'info' });
    root = await initRoot(t.http);
  });
  afterAll(async () => {
    logs.stop();
    await t?.close();
  });

  it('serves Swagger UI at /docs and OpenAPI JSON at /docs-json with the bearer scheme, tags and the user routes', async () => {
    const ui = await t.http.get('/docs/').expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.tags.map((tag: { name: string }) => tag.name)).toEqual(expect.arrayContaining(['Users', 'Health']));
    for (const path of ['/1/users/init', '/1/me', '/1/users', '/1/users/{id}', '/1/users/{id}/reset']) {
      expect(doc.paths).toHaveProperty([path]);
    }
    expect(doc.paths['/1/me'].get.security).toEqual([{ bearer: [] }]);
    const user = doc.components.schemas.UserResponseDto;
    expect(user.properties.token.example).toBe('6ac4bd1a-18a6-4c25-922f-db689a299e38');
    expect(doc.components.schemas.CreateUserDto.properties.name.example).toBe('u1');
  });

  it('every path in /docs-json has at least one operation with a non-empty summary and tags', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const paths = Object.keys(doc.paths);
    expect(paths.length).toBeGreaterThan(30);
    const undocumented = paths.filter(
      (path) =>
        !Object.values(doc.paths[path] as Record<string, { summary?: string; tags?: string[] }>).some(
          (op) => typeof op?.summary === 'string' && op.summary.trim() !== '' && Array.isArray(op.tags) && op.tags.length > 0,
        ),
    );
    expect(undocumented).toEqual([]);
  });

  it("every documented error response carries its route family's error body, the shape the filter sends", async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const expected = (path: string) =>
      path.startsWith('/api/') ? 'NewApiError' : path.startsWith('/plugin/') || path.startsWith('/sso/') ? 'SsoError' : path.startsWith('/v1/') ? 'OpenAiError' : 'MessageError';
    const wrong: string[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>)) {
      if (path === '/readyz') continue; // terminus' own 503 body
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (/^[45]/.test(status) && response.content?.['application/json']?.schema?.$ref !== `#/components/schemas/${expected(path)}`) wrong.push(`${method} ${path} ${status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    const keysOf = (o: object) => Object.keys(o).sort();
    const documented = (path: string, method: string, status: string) => doc.paths[path][method].responses[status].content['application/json'].example;
    const notFound = await t.http.delete('/1/users/999').set(auth(root.token)).expect(404);
    expect(keysOf(notFound.body)).toEqual(keysOf(documented('/1/users/{id}', 'delete', '404')));
    const unauthorized = await t.http.get('/api/token/1').expect(401);
    expect(keysOf(unauthorized.body)).toEqual(keysOf(documented('/api/token/{id}', 'get', '401')));
    const forbidden = await t.http.get('/plugin/datafor-modeler/api/token/list').set(auth((await addUser(t.http, root, 'docs-common')).token)).expect(403);
    expect(keysOf(forbidden.body)).toEqual(keysOf(documented('/plugin/datafor-modeler/api/token/list', 'get', '403')));
  });

  it('GET /healthz is 200 while the process is up', async () => {
    await t.http.get('/healthz').expect(200, { status: 'ok' });
  });

  it('GET /readyz is 200 when the database answers', async () => {
    const res = await t.http.get('/readyz').expect(200);
    expect(res.body.details.database.status).toBe('up');
  });

  it('echoes a well-formed X-Request-Id and makes one up otherwise', async () => {
    const given = await t.http.get('/healthz').set('X-Request-Id', 'req-abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('req-abc-123');
    const made = await t.http.get('/healthz').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs one JSON line per request with its request id, and never the access token or query values', async () => {
    await t.http.get('/1/me').set(auth(root.token)).set('X-Request-Id', 'req-log-check').expect(200);
    await t.http.get(`/1/me?token=${root.token}`).set(auth(root.token)).expect(200);
    await new Promise((r) => setImmediate(r));
    const lines = logs.text().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const line = lines.find((l) => l.req?.id === 'req-log-check');
    expect(line).toMatchObject({ req: { method: 'GET', url: '/1/me' }, res: { statusCode: 200 }, userId: 1 });
    expect(logs.text()).not.toContain(root.token);
    expect(logs.text()).toContain('token=[REDACTED]');
  });

  const redisUrl = process.env.TEST_REDIS_URL;
  if (redisUrl) {
    it('GET /readyz reports Redis up when REDIS_URL is set, and 503 when Redis does not answer', async () => {
      const up = await createTestApp(database(), { REDIS_URL: redisUrl });
      try {
        const res = await up.http.get('/readyz').expect(200);
        expect(res.body.details.redis.status).toBe('up');
      } finally {
        await up.close();
      }
      const down = await createTestApp(database(), { REDIS_URL: 'redis://127.0.0.1:1/0' });
      try {
        const res = await down.http.get('/readyz').expect(503);
        expect(res.body.details.redis.status).toBe('down');
        expect(res.body.details.database.status).toBe('up');
      } finally {
        await down.close();
      }
    });
  }

  it('GET /readyz is 503 once the database is gone', async () => {
    await t.app.get(DataSource).destroy();
    const res = await t.http.get('/readyz').expect(503);
    expect(res.body.status).toBe('error');
  });
});
