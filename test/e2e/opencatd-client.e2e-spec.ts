import { DataSource } from 'typeorm';
import { CryptoService } from '../../src/common/crypto/crypto.service';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { MIGRATIONS } from '../../src/database/migrations';
import { UniqueUpstreamKeys1764000005000 } from '../../src/database/migrations/1764000005000-unique-upstream-keys';
import { createToken } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addAdmin, addUser, initRoot, TestUser } from '../support/users.builder';

/**
 * The requests opencatd's team flow sends (mirrors2/opencatd-open, seed 003), copied from its code:
 * keys from router/router.go HandleAddKey and doc/azure.md ("key name以 azure.[resource name]的方式添加"),
 * resets from router/router.go HandleResetUserToken and doc/API.md (`/1/users/:id/reset?token={new user token}`).
 */
describe.each(testDatabases())('opencatd clients (seed 003) on %s', (_label, database) => {
  let t: TestApp;
  let root: TestUser;
  let stub: StubUpstream;
  const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 };

  beforeAll(async () => {
    stub = await StubUpstream.start();
    t = await createTestApp(database());
    root = await initRoot(t.http);
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  describe('POST /1/keys with opencatd key names (router/router.go HandleAddKey, doc/azure.md)', () => {
    it('{"key","name":"azure.myresource"} is an Azure OpenAI key of https://myresource.openai.azure.com with api-version 2024-02-01', async () => {
      const res = await t.http.post('/1/keys').set(auth(root.token)).send({ key: '0123456789abcdef0123456789abcdef', name: 'azure.myresource' }).expect(200);
      expect(res.body).toMatchObject({
        name: 'azure.myresource',
        ApiType: 'azure_openai',
        endpoint: 'https://myresource.openai.azure.com',
        api_version: '2024-02-01',
        key: '012****cdef',
      });
    });

    it('the resource is the segment after azure. up to the next dot, lower-cased (opencatd splits the lower-cased name on ".")', async () => {
      const res = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'azure-second-key-0001', name: 'Azure.East-Res.backup' }).expect(200);
      expect(res.body).toMatchObject({ name: 'Azure.East-Res.backup', ApiType: 'azure_openai', endpoint: 'https://east-res.openai.azure.com' });
      const bad = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'azure-bad-0001', name: 'azure.' }).expect(400);
      expect(bad.body.message).toMatch(/^name "azure\.": "" is not an Azure resource name/);
    });

    it('an azure.<resource> key with an endpoint (opencatd keeps body.Endpoint) relays there with api-key and api-version 2024-02-01', async () => {
      const user = await addUser(t.http, root, 'relay-user');
      await t.http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ groups: ['default', 'azconv'] }).expect(200);
      await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'azure-stub-secret-0001', name: 'azure.stubres', endpoint: stub.origin, group: 'azconv' }).expect(200);
      const token = await createToken(t.app, { userId: user.id, group: 'azconv' });
      await t.http.post('/v1/chat/completions').set(auth(token.key)).send(chat).expect(200);
      expect(stub.requests.at(-1)!.url).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-02-01');
      expect(stub.requests.at(-1)!.headers['api-key']).toBe('azure-stub-secret-0001');
      expect(stub.requests.at(-1)!.headers.authorization).toBeUndefined();
    });

    it('api_type "azure" (doc/API.md: openai, azure, claude) is stored as azure_openai; with an azure.<resource> name the endpoint comes from it', async () => {
      const res = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'azure-typed-key-0001', name: 'azure.typedres', api_type: 'azure', endpoint: '' }).expect(200);
      expect(res.body).toMatchObject({ ApiType: 'azure_openai', endpoint: 'https://typedres.openai.azure.com', api_version: '2024-02-01' });
    });

    it('claude.<name> and google.<name> without api_type are 400 naming name, nothing stored; an explicit api_type wins over the name', async () => {
      const before = (await t.http.get('/1/keys').set(auth(root.token)).expect(200)).body.length;
      const claude = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-ant-api03-abcdef', name: 'claude.team' }).expect(400);
      expect(claude.body.message).toMatch(/^name "claude\.team" is opencatd's convention for Claude keys/);
      await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'AIzaSyabcdef', name: 'google.team' }).expect(400);
      expect((await t.http.get('/1/keys').set(auth(root.token)).expect(200)).body).toHaveLength(before);
      const explicit = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-openai-named-claude', name: 'claude.not-really', api_type: 'openai' }).expect(200);
      expect(explicit.body.ApiType).toBe('openai');
      const asOpenai = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-openai-named-azure', name: 'azure.other', api_type: 'openai' }).expect(200);
      expect(asOpenai.body).toMatchObject({ ApiType: 'openai', endpoint: 'https://api.openai.com/v1' });
    });
  });

  describe('names and keys are unique (store/keydb.go: `gorm:"unique;not null"` on key and name)', () => {
    it('a second key with a taken name, or with a stored key value, is 409 naming it; nothing stored', async () => {
      await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-unique-value-0001', name: 'team-key' }).expect(200);
      const before = (await t.http.get('/1/keys').set(auth(root.token)).expect(200)).body.length;
      const name = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-unique-value-0002', name: 'team-key' }).expect(409);
      expect(name.body).toEqual({ message: expect.stringMatching(/^name "team-key" is taken by key \d+$/) });
      const value = await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-unique-value-0001', name: 'team-key-2' }).expect(409);
      expect(value.body).toEqual({ message: expect.stringMatching(/^key: this upstream key is stored already \(key \d+\)$/) });
      expect(JSON.stringify(value.body)).not.toContain('sk-unique-value-0001');
      expect((await t.http.get('/1/keys').set(auth(root.token)).expect(200)).body).toHaveLength(before);
    });

    it('PATCH to another key\'s name or key value is 409 and changes nothing; its own name and key again are fine', async () => {
      const a = (await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-patch-unique-000a', name: 'patch-a' }).expect(200)).body;
      const b = (await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-patch-unique-000b', name: 'patch-b' }).expect(200)).body;
      await t.http.patch(`/1/keys/${b.id}`).set(auth(root.token)).send({ name: 'patch-a' }).expect(409);
      await t.http.patch(`/1/keys/${b.id}`).set(auth(root.token)).send({ key: 'sk-patch-unique-000a', priority: 9 }).expect(409);
      const list = (await t.http.get('/1/keys').set(auth(root.token)).expect(200)).body;
      expect(list.find((k: { id: number }) => k.id === b.id)).toMatchObject({ name: 'patch-b', key: 'sk-****000b', priority: 0 });
      await t.http.patch(`/1/keys/${a.id}`).set(auth(root.token)).send({ name: 'patch-a', key: 'sk-patch-unique-000a' }).expect(200);
    });

    it('keys without a name do not collide (an unnamed key has no name, shown as "")', async () => {
      for (const key of ['sk-unnamed-0001', 'sk-unnamed-0002']) {
        const res = await t.http.post('/1/keys').set(auth(root.token)).send({ key, name: '' }).expect(200);
        expect(res.body.name).toBe('');
      }
      await t.http.post('/1/keys').set(auth(root.token)).send({ key: 'sk-unnamed-0003' }).expect(200);
    });
  });

  describe('POST /1/users/:id/reset?token=<uuid> (router/router.go HandleResetUserToken: c.Query("token"))', () => {
    const chosen = '881a30d2-2fc8-4758-a07e-7d9ad5f34266';

    it('sets the token the admin names: the answer shows it, it works, the old one does not', async () => {
      const u = await addUser(t.http, root, 'u2');
      const res = await t.http.post(`/1/users/${u.id}/reset?token=${chosen}`).set(auth(root.token)).expect(200);
      expect(res.body).toMatchObject({ id: u.id, name: 'u2', token: chosen });
      expect((await t.http.get('/1/me').set(auth(chosen)).expect(200)).body).toMatchObject({ id: u.id, token: '881a****4266' });
      await t.http.get('/1/me').set(auth(u.token)).expect(401);
    });

    it("another user's token is 409 and changes nothing; an admin's own reset to a new UUID works", async () => {
      const admin = await addAdmin(t.http, root, 'reset-admin');
      const v = await addUser(t.http, root, 'u3');
      const taken = await t.http.post(`/1/users/${v.id}/reset?token=${admin.token}`).set(auth(root.token)).expect(409);
      expect(taken.body).toEqual({ message: expect.stringMatching(/^token is the access token of another user/) });
      await t.http.get('/1/me').set(auth(v.token)).expect(200);
      const again = await t.http.post(`/1/users/${v.id}/reset?token=${v.token}`).set(auth(admin.token)).expect(200);
      expect(again.body.token).toBe(v.token);
    });

    it('a token that is not a UUID, an empty token= or none: a random UUID is set, as before', async () => {
      const w = await addUser(t.http, root, 'u4');
      for (const bad of ['not-a-uuid', '00000000-0000-0000-0000-000000000000', `${chosen}x`]) {
        const res = await t.http.post(`/1/users/${w.id}/reset`).query({ token: bad }).set(auth(root.token)).expect(200);
        expect(res.body.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(res.body.token).not.toBe(bad);
      }
      const empty = await t.http.post(`/1/users/${w.id}/reset?token=`).set(auth(root.token)).expect(200);
      expect(empty.body.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const none = await t.http.post(`/1/users/${w.id}/reset`).set(auth(root.token)).expect(200);
      expect(none.body.token).not.toBe(empty.body.token);
    });
  });

  it('the uniqueness migration fills key_hash for stored keys, keeps the first of a duplicate name or key, and renames later names', async () => {
    const db = database();
    const url = await db.create();
    const before = new DataSource({ ...buildDataSourceOptions(url), migrations: MIGRATIONS.slice(0, MIGRATIONS.indexOf(UniqueUpstreamKeys1764000005000)) });
    await before.initialize();
    const crypto = new CryptoService(process.env.TOLLGATE_SECRET!);
    const insert = (name: string, key: string) =>
      before.query(
        'INSERT INTO upstream_keys (name, key_ciphertext, key_hint, api_type, endpoint, api_version, deployments, models, `group`, priority, weight, status, last_error, last_used_at, created_at, updated_at) ' +
          "VALUES (?, ?, 'x', 'openai', 'https://api.openai.com/v1', '', '{}', '', 'default', 0, 1, 1, '', 0, '2025-01-02 03:04:05.678', '2025-01-02 03:04:05.678')",
        [name, crypto.encrypt(key)],
      );
    await insert('shared', 'sk-old-key-0001');
    await insert('shared', 'sk-old-key-0002');
    await insert('', 'sk-old-key-0001');
    await insert('', 'sk-old-key-0003');
    await before.destroy();

    let app: TestApp | undefined;
    try {
      app = await createTestApp({ ...db, create: async () => url });
      const admin = await initRoot(app.http);
      const list = (await app.http.get('/1/keys').set(auth(admin.token)).expect(200)).body as { id: number; name: string }[];
      expect(list.map((k) => k.name)).toEqual(['shared', `shared-${list[1].id}`, '', '']);
      for (const key of ['sk-old-key-0001', 'sk-old-key-0002', 'sk-old-key-0003']) {
        await app.http.post('/1/keys').set(auth(admin.token)).send({ key, name: `new-${key}` }).expect(409);
      }
      await app.http.post('/1/keys').set(auth(admin.token)).send({ key: 'sk-old-key-0004', name: 'shared' }).expect(409);
      await app.http.post('/1/keys').set(auth(admin.token)).send({ key: 'sk-old-key-0004', name: 'fresh' }).expect(200);
    } finally {
      if (app) await app.close();
      else await db.drop();
    }
  });
});
