import { DataSource } from 'typeorm';
import { captureStdout } from '../support/log-capture';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { initRoot, TestUser } from '../support/users.builder';

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
