import { DataSource } from 'typeorm';
import { KeyEntity } from '../../src/keys/entities/key.entity';
import { createToken } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const SEED_KEY = 'sk-zsbdzsbdzsbdzsbdzsbdzsbdzsbd';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe.each(testDatabases())('Keys (seed 003) and prices on %s', (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp(database());
    root = await initRoot(t.http);
    user = await addUser(t.http, root, 'u1');
  });
  afterAll(async () => t?.close());

  it('POST /1/keys accepts the seed body verbatim and answers in the seed shape with the key masked', async () => {
    const res = await t.http
      .post('/1/keys')
      .set(auth(root.token))
      .send({ key: SEED_KEY, name: 'key', api_type: 'openai', endpoint: '' })
      .expect(200);
    expect(res.body).toMatchObject({ id: expect.any(Number), key: 'sk-****zsbd', name: 'key', ApiType: 'openai' });
    expect(res.body.createdAt).toMatch(ISO);
    expect(res.body.updatedAt).toMatch(ISO);
    expect(res.body).toMatchObject({
      endpoint: 'https://api.openai.com/v1',
      models: [],
      group: 'default',
      priority: 0,
      weight: 1,
      status: 1,
      last_error: '',
      last_used_at: 0,
    });
    expect(JSON.stringify(res.body)).not.toContain(SEED_KEY);
  });

  it('stores the key encrypted, never in clear', async () => {
    const rows = await t.app.get(DataSource).getRepository(KeyEntity).find();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.keyCiphertext).not.toContain('zsbd');
      expect(row.keyCiphertext).toMatch(/^v1\./);
    }
  });

  it('api_type defaults to openai; GET /1/keys lists every key masked', async () => {
    const res = await t.http.post('/1/keys').set(auth(root.token)).send({ key: '1234567890qwertyuiopasdfghjklzxcvbnm', name: 'key2' }).expect(200);
    expect(res.body.ApiType).toBe('openai');
    const list = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
    expect(list.body.map((k: { name: string }) => k.name)).toEqual(['key', 'key2']);
    expect(list.body.map((k: { key: string }) => k.key)).toEqual(['sk-****zsbd', '123****vbnm']);
    expect(JSON.stringify(list.body)).not.toMatch(/zsbdzsbd|qwertyuiop/);
  });

  it('azure_openai keys need an endpoint and get an api_version and a deployments map', async () => {
    const missing = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'azkey-123456', api_type: 'azure_openai', endpoint: '' }).expect(400);
    expect(missing.body.message).toMatch(/endpoint/);
    const res = await t.http
      .post('/1/keys')
      .set(auth(root.token))
      .send({ key: 'azkey-123456', name: 'az', api_type: 'azure_openai', endpoint: 'https://res.openai.azure.com/', deployments: { 'gpt-3.5-turbo': 'gpt35' } })
      .expect(200);
    expect(res.body).toMatchObject({ ApiType: 'azure_openai', endpoint: 'https://res.openai.azure.com', api_version: '2024-10-21', deployments: { 'gpt-3.5-turbo': 'gpt35' } });
  });

  it('400 naming the field for a bad api_type, endpoint, weight or missing key', async () => {
    const type = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'k-1234567', api_type: 'anthropic' }).expect(400);
    expect(type.body.message).toMatch(/^api_type /);
    const endpoint = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'k-1234567', endpoint: 'ftp://x' }).expect(400);
    expect(endpoint.body.message).toMatch(/^endpoint /);
    const weight = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'k-1234567', weight: -1 }).expect(400);
    expect(weight.body.message).toMatch(/^weight /);
    const key = await t.http.post('/1/keys').set(auth(root.token)).send({ name: 'nokey' }).expect(400);
    expect(key.body.message).toMatch(/^key /);
  });

  it('PATCH /1/keys/:id changes fields and enables/disables; status 3 cannot be set by hand', async () => {
    const created = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-patchme-abcdef', name: 'p' }).expect(200);
    const res = await t.http
      .patch(`/1/keys/${created.body.id}`)
      .set(auth(root.token))
      .send({ name: 'p2', models: 'gpt-4o, gpt-3.5-turbo', group: 'vip', priority: 5, weight: 3, status: 2, key: 'sk-newsecret-9999' })
      .expect(200);
    expect(res.body).toMatchObject({ name: 'p2', models: ['gpt-4o', 'gpt-3.5-turbo'], group: 'vip', priority: 5, weight: 3, status: 2, key: 'sk-****9999' });
    const again = await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ status: 1 }).expect(200);
    expect(again.body.status).toBe(1);
    const bad = await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ status: 3 }).expect(400);
    expect(bad.body.message).toMatch(/^status /);
    await t.http.patch('/1/keys/99999').set(auth(root.token)).send({ name: 'x' }).expect(404);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data',
    'http://2852039166/v1',
    'http://0251.0376.0251.0376/v1',
    'http://[::ffff:169.254.169.254]/',
    'http://[fe80::1]:8080/v1',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1',
  ])('POST /1/keys refuses the link-local or metadata endpoint %s: 400 naming endpoint, nothing stored', async (endpoint) => {
    const before = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
    const res = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-ssrf-123456', endpoint }).expect(400);
    expect(res.body.message).toMatch(/^endpoint .*(link-local|metadata)/);
    const azure = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'az-ssrf-123456', api_type: 'azure_openai', endpoint }).expect(400);
    expect(azure.body.message).toMatch(/^endpoint /);
    const after = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
    expect(after.body).toHaveLength(before.body.length);
  });

  it('POST /1/keys accepts private-range and loopback endpoints (self-hosted models)', async () => {
    for (const endpoint of ['http://10.0.0.5:8000/v1', 'http://192.168.1.20:11434/v1', 'http://[fd12:3456::1]:8000/v1', 'http://127.0.0.1:11434/v1']) {
      const res = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-local-123456', endpoint, group: 'self-hosted' }).expect(200);
      expect(res.body.endpoint).toBe(endpoint.replace(/\/$/, ''));
      await t.http.delete(`/1/keys/${res.body.id}`).set(auth(root.token)).expect(200);
    }
  });

  describe('PATCH binds endpoint and api_type to the key', () => {
    let legit: StubUpstream;
    let attacker: StubUpstream;
    beforeAll(async () => {
      [legit, attacker] = await Promise.all([StubUpstream.start(), StubUpstream.start()]);
    });
    afterAll(async () => Promise.all([legit?.close(), attacker?.close()]));

    it('a new endpoint without the key is 400 naming the rule, and the next relayed call still carries the key to the old endpoint', async () => {
      const created = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-upstream-secret-1', endpoint: legit.baseUrl, group: 'bind' }).expect(200);
      const res = await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ endpoint: attacker.baseUrl }).expect(400);
      expect(res.body.message).toMatch(/^key is required when endpoint or api_type changes/);
      await t.http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ groups: ['default', 'bind'] }).expect(200);
      const token = await createToken(t.app, { userId: user.id, group: 'bind' });
      const chat = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 };
      await t.http.post('/v1/chat/completions').set(auth(token.key)).send(chat).expect(200);
      expect(attacker.requests).toHaveLength(0);
      expect(legit.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-upstream-secret-1']);
      const list = await t.http.get('/1/keys').set(auth(root.token)).expect(200);
      expect(list.body.find((k: { id: number }) => k.id === created.body.id).endpoint).toBe(legit.baseUrl);
    });

    it('a new api_type (Azure, whose resource is the endpoint host) without the key is 400; with the key both change', async () => {
      const created = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-upstream-secret-2', endpoint: legit.baseUrl, group: 'bind2' }).expect(200);
      const type = await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ api_type: 'azure_openai', endpoint: attacker.origin }).expect(400);
      expect(type.body.message).toMatch(/^key is required/);
      const typeOnly = await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ api_type: 'azure_openai' }).expect(400);
      expect(typeOnly.body.message).toMatch(/^endpoint is required|^key is required/);
      const ok = await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ api_type: 'azure_openai', endpoint: attacker.origin, key: 'az-own-key-123' }).expect(200);
      expect(ok.body).toMatchObject({ ApiType: 'azure_openai', endpoint: attacker.origin, key: 'az-****-123' });
      const resource = await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ endpoint: 'https://other.openai.azure.com' }).expect(400);
      expect(resource.body.message).toMatch(/^key is required/);
    });

    it('the same endpoint again, or other fields, need no key; a refused endpoint is refused with the key too', async () => {
      const created = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-upstream-secret-3', endpoint: legit.baseUrl, group: 'bind3' }).expect(200);
      await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ endpoint: `${legit.baseUrl}/`, api_type: 'openai', name: 'same', priority: 3 }).expect(200);
      const res = await t.http.patch(`/1/keys/${created.body.id}`).set(auth(root.token)).send({ endpoint: 'http://2852039166/', key: 'sk-upstream-secret-3' }).expect(400);
      expect(res.body.message).toMatch(/^endpoint .*link-local/);
    });
  });

  it('DELETE /1/keys/:id answers {"message":"ok"}; then 404', async () => {
    const created = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-deleteme-1234' }).expect(200);
    const res = await t.http.delete(`/1/keys/${created.body.id}`).set(auth(root.token)).expect(200);
    expect(res.body).toEqual({ message: 'ok' });
    await t.http.delete(`/1/keys/${created.body.id}`).set(auth(root.token)).expect(404);
    await t.http.delete('/1/keys/abc').set(auth(root.token)).expect(400);
  });

  it('key routes are admin only: 401 without a token, 403 for a common user', async () => {
    await t.http.get('/1/keys').expect(401);
    await t.http.get('/1/keys').set(auth(user.token)).expect(403);
    await t.http.post('/1/keys').set(auth(user.token)).send({ key: 'sk-x-123456' }).expect(403);
    await t.http.delete('/1/keys/1').set(auth(user.token)).expect(403);
    await t.http.patch('/1/keys/1').set(auth(user.token)).send({ name: 'x' }).expect(403);
  });

  it('GET /1/prices ships defaults; gpt-3.5-turbo is 2 USD / 1M both ways (seed 003: 55 tokens = $0.000110)', async () => {
    const res = await t.http.get('/1/prices').set(auth(user.token)).expect(200);
    const gpt35 = res.body.find((p: { model: string }) => p.model === 'gpt-3.5-turbo');
    expect(gpt35).toMatchObject({ model: 'gpt-3.5-turbo', input: '2', output: '2' });
    expect(res.body.find((p: { model: string }) => p.model === 'gpt-4o')).toMatchObject({ input: '2.5', output: '10' });
  });

  it('PUT /1/prices (admin) adds and replaces prices; 403 for users; 400 for more than 6 places', async () => {
    await t.http.put('/1/prices').set(auth(user.token)).send({ prices: [{ model: 'm', input: 1, output: 1 }] }).expect(403);
    const res = await t.http
      .put('/1/prices')
      .set(auth(root.token))
      .send({ prices: [{ model: 'my-model', input: 0.5, output: '1.25' }, { model: 'gpt-4o', input: '3', output: '12' }] })
      .expect(200);
    expect(res.body.find((p: { model: string }) => p.model === 'my-model')).toMatchObject({ input: '0.5', output: '1.25' });
    expect(res.body.find((p: { model: string }) => p.model === 'gpt-4o')).toMatchObject({ input: '3', output: '12' });
    const bad = await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: 'x', input: '0.0000001', output: '1' }] }).expect(400);
    expect(bad.body.message).toMatch(/^prices\.0\.input /);
    const del = await t.http.delete('/1/prices/my-model').set(auth(root.token)).expect(200);
    expect(del.body).toEqual({ message: 'ok' });
    await t.http.delete('/1/prices/my-model').set(auth(root.token)).expect(404);
  });
});
