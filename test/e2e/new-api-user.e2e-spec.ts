import { NEW_API_USER_MESSAGES } from '../../src/common/auth/auth.guard';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';
import { createToken } from '../support/tokens.builder';

/** `/api/` routes that do not take a user access token (the sk- token authenticates itself). */
const PUBLIC_API_ROUTES = new Set(['get /api/usage/token']);

/** Every documented operation under `/api/`, with `{id}` filled in. */
async function apiOperations(t: TestApp, id: number): Promise<{ method: string; path: string }[]> {
  const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
  const operations: { method: string; path: string }[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/')) continue;
    for (const method of Object.keys(item)) {
      if (PUBLIC_API_ROUTES.has(`${method} ${path}`)) continue;
      operations.push({ method, path: path.replace(/\{[^}]+\}/g, String(id)) });
    }
  }
  return operations;
}

describe.each(testDatabases())('New-Api-User on every /api/ route (%s)', (_label, makeDb) => {
  let t: TestApp;
  let user: TestUser;
  let tokenId: number;

  beforeAll(async () => {
    t = await createTestApp(makeDb());
    const root = await initRoot(t.http);
    user = await addUser(t.http, root, 'nau');
    tokenId = (await createToken(t.app, t.http, user, { name: 'mine', remain_quota: 1, expired_time: -1 })).id;
  });
  afterAll(() => t?.close());

  it('GET /API/token/ (upper case, which Express still routes) without New-Api-User is 401 in the new-api envelope', async () => {
    const res = await t.http.get('/API/token/').set(auth(user.token)).expect(401);
    expect(res.body).toEqual({ success: false, message: NEW_API_USER_MESSAGES.missing });
    await t.http.get('/Api/Token/Search?keyword=m').set(auth(user.token)).expect(401);
    await t.http.post(`/API/token/${tokenId}/key`).set(auth(user.token)).expect(401);
  });

  it('GET /API/token/ with another user id in New-Api-User is 401; with the caller id it answers', async () => {
    await t.http.get('/API/token/').set(auth(user.token)).set('New-Api-User', String(user.id + 1)).expect(401);
    const res = await t.http.get('/API/token/').set(auth(user.token, user.id)).expect(200);
    expect(res.body.data.items.map((i: { id: number }) => i.id)).toEqual([tokenId]);
  });

  it('every documented /api/ route with a user token refuses a missing New-Api-User, in any letter case', async () => {
    const operations = await apiOperations(t, tokenId);
    expect(operations.length).toBeGreaterThan(5);
    for (const { method, path } of operations) {
      for (const variant of [path, path.replace('/api/', '/API/'), path.toUpperCase()]) {
        const res = await (t.http as unknown as Record<string, (p: string) => ReturnType<TestApp['http']['get']>>)[method](variant).set(auth(user.token));
        expect({ route: `${method} ${variant}`, status: res.status, message: res.body.message }).toEqual({
          route: `${method} ${variant}`,
          status: 401,
          message: NEW_API_USER_MESSAGES.missing,
        });
      }
    }
  });
});
