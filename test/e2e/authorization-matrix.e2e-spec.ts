import type { OpenAPIObject } from '@nestjs/swagger';
import type request from 'supertest';
import { documentOperations, DocumentOperation, fillPath } from '../support/openapi-operations';
import { addKey, createToken } from '../support/relay.builder';
import { StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addAdmin, addUser, initRoot, TestUser } from '../support/users.builder';

/**
 * The credential each column of the matrix sends, in the form the operation's security scheme asks
 * for (`bearer`: a user access token, with `New-Api-User` on `/api/`; `apiToken`: an `sk-` key of one
 * of that user's tokens; public and `ssoJwt` routes get the user access token as a bearer):
 * - `none`: no Authorization header;
 * - `own`: a common user, on its own objects (its tokens, its id);
 * - `other`: the same common user, on another common user's objects (path ids, `user_id`, body ids);
 * - `admin`: an admin (role 10) on its own objects; `adminOther`: the admin on a common user's objects;
 * - `root`: root (role 100) on its own objects;
 * - `deleted`: a deleted user's access token (and on `apiToken` routes its `sk-` key, made before the deletion);
 * - `disabled`, `expired`: an `sk-` key of a disabled, of an expired token of the common user, on every route;
 * - `swapped`: the wrong kind: the common user's valid `sk-` key where a user token is expected, and its
 *   user access token where an `sk-` key is expected.
 */
const COLUMNS = ['none', 'own', 'other', 'admin', 'adminOther', 'root', 'deleted', 'disabled', 'expired', 'swapped'] as const;
type Column = (typeof COLUMNS)[number];

/**
 * The expected status of every operation of the document for each column, in {@link COLUMNS} order.
 * An operation of the document missing here fails the suite: a new route must be classified.
 * Where a column gets the same answer as another for a reason worth knowing, the comment says why.
 */
// prettier-ignore
const EXPECTED: Record<string, Record<Column, number>> = Object.fromEntries(Object.entries({
  //                     none own other admin adminOther root deleted disabled expired swapped
  getHealth:            [200, 200, 200,  200,  200,       200, 200,    200,     200,    200],
  getReadiness:         [200, 200, 200,  200,  200,       200, 200,    200,     200,    200],
  initRoot:             [403, 403, 403,  403,  403,       403, 403,    403,     403,    403], // root exists: refused to anyone
  getMe:                [401, 200, 200,  200,  200,       200, 401,    401,     401,    401],
  changePassword:       [401, 200, 200,  200,  200,       200, 401,    401,     401,    401],
  listUsers:            [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  listAuditRecords:     [401, 403, 403,  200,  200,       200, 401,    401,     401,    401], // admins read every record
  createUser:           [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  updateUser:           [401, 403, 403,  200,  200,       200, 401,    401,     401,    401], // renames: self, or a common user
  deleteUser:           [401, 403, 403,  403,  200,       403, 401,    401,     401,    401], // nobody deletes themselves
  resetUserToken:       [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  login:                [200, 200, 200,  200,  200,       200, 200,    200,     200,    200], // public: the bearer is ignored
  logout:               [401, 400, 400,  400,  400,       400, 401,    401,     401,    401], // an access token is not a session: 400
  listKeys:             [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  createKey:            [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  updateKey:            [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  deleteKey:            [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  listPrices:           [401, 200, 200,  200,  200,       200, 401,    401,     401,    401],
  setPrices:            [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  deletePrice:          [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  // The relay takes an sk- key, or (opencatd) a user access token: `swapped` is served too.
  createChatCompletion: [401, 200, 200,  200,  200,       200, 401,    401,     401,    200],
  createCompletion:     [401, 200, 200,  200,  200,       200, 401,    401,     401,    200],
  createEmbedding:      [401, 200, 200,  200,  200,       200, 401,    401,     401,    200],
  createResponse:       [401, 200, 200,  200,  200,       200, 401,    401,     401,    200],
  retrieveModel:        [401, 200, 200,  200,  200,       200, 401,    401,     401,    200],
  listModels:           [401, 200, 200,  200,  200,       200, 401,    401,     401,    200],
  // Seed 004's app API is admin only; apps belong to no user.
  updateSsoApp:         [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  listSsoApps:          [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  getSsoApp:            [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  deleteSsoApp:         [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  deleteSsoApps:        [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  linkSsoUser:          [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  unlinkSsoUser:        [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  generateSsoToken:     [401, 403, 403,  200,  200,       200, 401,    401,     401,    401],
  // The SSO login takes an app's JWT only: no user credential of any kind signs anyone in.
  ssoLogin:             [401, 401, 401,  401,  401,       401, 401,    401,     401,    401],
  ssoLoginWithBearer:   [401, 401, 401,  401,  401,       401, 401,    401,     401,    401],
  // new-api's token routes are scoped to the caller: another user's token is "not found" even to
  // admins; list and search take user_id from admins only; batch routes skip others' ids.
  listTokens:           [401, 200, 403,  200,  200,       200, 401,    401,     401,    401],
  createToken:          [401, 200, 200,  200,  200,       200, 401,    401,     401,    401],
  updateToken:          [401, 200, 404,  200,  404,       200, 401,    401,     401,    401],
  searchTokens:         [401, 200, 403,  200,  200,       200, 401,    401,     401,    401],
  revealTokenKeys:      [401, 200, 200,  200,  200,       200, 401,    401,     401,    401],
  deleteTokens:         [401, 200, 200,  200,  200,       200, 401,    401,     401,    401],
  updateTokens:         [401, 200, 200,  200,  200,       200, 401,    401,     401,    401],
  getToken:             [401, 200, 404,  200,  404,       200, 401,    401,     401,    401],
  deleteToken:          [401, 200, 404,  200,  404,       200, 401,    401,     401,    401],
  rotateTokenKey:       [401, 200, 404,  200,  404,       200, 401,    401,     401,    401],
  revealTokenKey:       [401, 200, 404,  200,  404,       200, 401,    401,     401,    401],
  // A token of any status may read its own usage (new-api's GetTokenUsage); its owner must be a live user.
  getTokenUsage:        [401, 200, 200,  200,  200,       200, 401,    200,     200,    401],
  // Usage reports: a common user sees itself only; user_id of another user is 403 to it.
  listUsages:           [401, 200, 403,  200,  200,       200, 401,    401,     401,    401],
  listDailyUsages:      [401, 200, 403,  200,  200,       200, 401,    401,     401,    401],
  listUsageLogs:        [401, 200, 403,  200,  200,       200, 401,    401,     401,    401],
  exportUsages:         [401, 200, 403,  200,  200,       200, 401,    401,     401,    401],
  getMyUsage:           [401, 200, 200,  200,  200,       200, 401,    401,     401,    401],
} satisfies Record<string, number[]>).map(([id, row]) => [id, Object.fromEntries(COLUMNS.map((column, i) => [column, row[i]])) as Record<Column, number>]));

const CHAT_MODEL = 'gpt-3.5-turbo';
const EMBEDDING_MODEL = 'text-embedding-3-small';
const STRONG_SECRET = 'matrix-hs256-secret-0123456789abcdef0123456789';

/** What one cell sends besides its credential. */
interface CellRequest {
  params?: Record<string, string | number>;
  query?: Record<string, string | number>;
  body?: unknown;
  /**
   * Called with the answer: keeps a changed password or a reset access token in step, or returns
   * what is wrong with a 200 that the status alone does not show (another user's token touched).
   */
  after?: (res: request.Response) => string | void;
}

/** What a request builder gets: who calls, whose objects it names, and fixture makers. */
interface Cell {
  caller: TestUser;
  /** Whose objects the request names: the caller (own columns) or another common user. */
  target: TestUser;
  /** True when `target` is not the caller. */
  foreign: boolean;
  fx: Fixtures;
}

/** Makers of fresh objects, one per cell, so that no cell depends on what another changed. */
interface Fixtures {
  root: TestUser;
  token(owner: TestUser): Promise<{ id: number; key: string }>;
  user(): Promise<TestUser>;
  key(): Promise<number>;
  price(): Promise<string>;
  ssoApp(): Promise<string>;
  /** Current passwords by user id (-1: the login fixture's). */
  passwords: Map<number, string>;
  unique(): string;
  asRoot(method: 'post' | 'put', path: string, body: unknown): Promise<request.Response>;
}

/** A password change that keeps {@link Fixtures.passwords} in step with what the database holds. */
function passwordChange(cell: Cell): CellRequest {
  const old = cell.fx.passwords.get(cell.caller.id);
  const next = `matrix-pw-${cell.fx.unique()}`;
  return {
    body: old === undefined ? { password: next } : { old_password: old, password: next },
    after: (res) => {
      if (res.status === 200) cell.fx.passwords.set(cell.caller.id, next);
    },
  };
}

/**
 * A request per operationId that the caller's role should see answered 2xx (valid body, existing
 * objects), naming the target's objects, so the only thing a column changes is who asks.
 */
const REQUESTS: Record<string, (cell: Cell) => Promise<CellRequest> | CellRequest> = {
  getHealth: () => ({}),
  getReadiness: () => ({}),
  initRoot: () => ({}),
  getMe: () => ({}),
  changePassword: passwordChange,
  listUsers: () => ({}),
  listAuditRecords: () => ({ query: { limit: 10 } }),
  createUser: ({ fx }) => ({ body: { name: `matrix-${fx.unique()}` } }),
  updateUser: async ({ target, foreign, fx }) => {
    const user = foreign ? await fx.user() : target;
    return { params: { id: user.id }, body: { name: `renamed-${fx.unique()}` } };
  },
  deleteUser: async ({ target, foreign, fx }) => ({ params: { id: foreign ? (await fx.user()).id : target.id } }),
  resetUserToken: async ({ caller, target, foreign, fx }) => ({
    params: { id: foreign ? (await fx.user()).id : target.id },
    after: (res) => {
      if (res.status === 200 && !foreign) caller.token = res.body.token;
    },
  }),
  login: ({ fx }) => ({ body: { name: 'matrix-login', password: fx.passwords.get(-1) } }),
  logout: () => ({}),
  listKeys: () => ({}),
  createKey: ({ fx }) => ({ body: { key: `sk-matrix-${fx.unique()}`, name: `matrix-${fx.unique()}`, endpoint: 'http://127.0.0.1:9' } }),
  updateKey: async ({ fx }) => ({ params: { id: await fx.key() }, body: { weight: 2 } }),
  deleteKey: async ({ fx }) => ({ params: { id: await fx.key() } }),
  listPrices: () => ({}),
  setPrices: ({ fx }) => ({ body: { prices: [{ model: `matrix-${fx.unique()}`, input: '1', output: '2' }] } }),
  deletePrice: async ({ fx }) => ({ params: { model: await fx.price() } }),
  createChatCompletion: () => ({ body: { model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 } }),
  createCompletion: () => ({ body: { model: CHAT_MODEL, prompt: 'hi', max_tokens: 10 } }),
  createEmbedding: () => ({ body: { model: EMBEDDING_MODEL, input: 'hi' } }),
  createResponse: () => ({ body: { model: CHAT_MODEL, input: 'hi', max_output_tokens: 16 } }),
  retrieveModel: () => ({ params: { id: CHAT_MODEL } }),
  listModels: () => ({}),
  updateSsoApp: ({ fx }) => ({ body: ssoAppBody(`M${fx.unique()}`) }),
  listSsoApps: () => ({}),
  getSsoApp: async ({ fx }) => ({ query: { name: await fx.ssoApp() } }),
  deleteSsoApp: async ({ fx }) => ({ body: { name: await fx.ssoApp() } }),
  deleteSsoApps: async ({ fx }) => ({ body: { names: [await fx.ssoApp()] } }),
  linkSsoUser: async ({ fx }) => ({ body: { name: await fx.ssoApp(), username: (await fx.user()).name } }),
  unlinkSsoUser: async ({ fx }) => {
    const name = await fx.ssoApp();
    const user = await fx.user();
    await fx.asRoot('post', '/plugin/datafor-modeler/api/token/link', { name, username: user.name });
    return { body: { name, username: user.name } };
  },
  generateSsoToken: async ({ fx }) => ({ body: { name: await fx.ssoApp(), payload: { username: 'someone' } } }),
  ssoLogin: async ({ fx }) => ({ params: { name: await fx.ssoApp() } }),
  ssoLoginWithBearer: async ({ fx }) => ({ params: { name: await fx.ssoApp() } }),
  listTokens: ({ target }) => ({ query: { user_id: target.id } }),
  createToken: ({ fx }) => ({ body: { name: `matrix-${fx.unique()}`, remain_quota: 1000, expired_time: -1 } }),
  updateToken: async ({ target, fx }) => ({ body: { id: (await fx.token(target)).id, name: 'renamed', remain_quota: 1000, expired_time: -1 } }),
  searchTokens: ({ target }) => ({ query: { keyword: 'test', user_id: target.id } }),
  revealTokenKeys: async ({ target, foreign, fx }) => {
    const { id, key } = await fx.token(target);
    return { body: { ids: [id] }, after: (res) => batchCheck(foreign, res.body.data?.keys, foreign ? {} : { [id]: key.slice(3) }) };
  },
  deleteTokens: async ({ target, foreign, fx }) => ({ body: { ids: [(await fx.token(target)).id] }, after: (res) => batchCheck(foreign, res.body.data, foreign ? 0 : 1) }),
  updateTokens: async ({ target, foreign, fx }) => ({
    body: { ids: [(await fx.token(target)).id], group: 'default', update_fields: ['group'] },
    after: (res) => batchCheck(foreign, res.body.data, foreign ? 0 : 1),
  }),
  getToken: async ({ target, fx }) => ({ params: { id: (await fx.token(target)).id } }),
  deleteToken: async ({ target, fx }) => ({ params: { id: (await fx.token(target)).id } }),
  rotateTokenKey: async ({ target, fx }) => ({ params: { id: (await fx.token(target)).id }, body: {} }),
  revealTokenKey: async ({ target, fx }) => ({ params: { id: (await fx.token(target)).id } }),
  getTokenUsage: () => ({}),
  listUsages: ({ target }) => ({ query: { user_id: target.id } }),
  listDailyUsages: ({ target }) => ({ query: { user_id: target.id } }),
  listUsageLogs: ({ target }) => ({ query: { user_id: target.id } }),
  exportUsages: ({ target }) => ({ query: { user_id: target.id } }),
  getMyUsage: () => ({}),
};

/** What is wrong with a batch answer's `data` (others' ids must be skipped), if anything. */
function batchCheck(foreign: boolean, data: unknown, expected: unknown): string | void {
  if (JSON.stringify(data) !== JSON.stringify(expected)) return `data ${JSON.stringify(data)} where ${JSON.stringify(expected)} was expected (${foreign ? "another user's" : 'own'} token)`;
}

/** Seed 004's app body with a strong HS256 secret (a weak one refuses logins). */
function ssoAppBody(name: string) {
  return { name, token_name: 'token', secret: STRONG_SECRET, expire: 3600, fieldmap: { username: 'loginname' }, algorithm: 'HS256', enable: '1', inituser: '1', initroles: [] };
}

describe.each(testDatabases())('The authorization matrix: every operation of the OpenAPI document × every kind of caller, on %s', (_label, database) => {
  let t: TestApp;
  let stub: StubUpstream;
  let document: OpenAPIObject;
  let fx: Fixtures;
  /** The caller of each column, its objects' owner, and the sk- keys the token columns send. */
  let common: TestUser;
  let other: TestUser;
  let admin: TestUser;
  let root: TestUser;
  let deleted: TestUser;
  const keys = {} as Record<'common' | 'admin' | 'root' | 'deleted' | 'disabled' | 'expired', string>;

  beforeAll(async () => {
    stub = await StubUpstream.start();
    t = await createTestApp(database());
    document = (await t.http.get('/docs-json').expect(200)).body as OpenAPIObject;
    root = await initRoot(t.http);
    admin = await addAdmin(t.http, root, 'matrix-admin');
    common = await addUser(t.http, root, 'matrix-common');
    other = await addUser(t.http, root, 'matrix-other');
    deleted = await addUser(t.http, root, 'matrix-deleted');
    await addKey(t.http, root, { key: 'sk-upstream-matrix', name: 'stub', endpoint: stub.baseUrl, priority: 10 });
    await t.http.put('/1/prices').set(auth(root.token)).send({ prices: [{ model: CHAT_MODEL, input: '1', output: '2' }, { model: EMBEDDING_MODEL, input: '1', output: '0' }] }).expect(200);

    let n = 0;
    const unique = () => `${Date.now().toString(36)}${(n++).toString(36)}`;
    const asRoot = (method: 'post' | 'put', path: string, body: unknown) => t.http[method](path).set(auth(root.token)).send(body as object);
    fx = {
      root,
      passwords: new Map(),
      unique,
      asRoot,
      token: (owner) => createToken(t.app, { userId: owner.id, name: 'test token' }),
      user: () => addUser(t.http, root, `matrix-${unique()}`),
      key: async () => (await asRoot('post', '/1/keys', { key: `sk-matrix-${unique()}`, name: `matrix-${unique()}`, endpoint: 'http://127.0.0.1:9' }).expect(200)).body.id,
      price: async () => {
        const model = `matrix-${unique()}`;
        await asRoot('put', '/1/prices', { prices: [{ model, input: '1', output: '1' }] }).expect(200);
        return model;
      },
      ssoApp: async () => {
        const name = `M${unique()}`;
        await asRoot('post', '/plugin/datafor-modeler/api/token/update', ssoAppBody(name)).expect(200);
        return name;
      },
    };

    // The login fixture: a user with a password (-1 keys its password in the map).
    const loginUser = await addUser(t.http, root, 'matrix-login');
    await t.http.put('/1/me/password').set(auth(loginUser.token)).send({ password: 'matrix-login-password' }).expect(200);
    fx.passwords.set(-1, 'matrix-login-password');

    keys.common = (await fx.token(common)).key;
    keys.admin = (await fx.token(admin)).key;
    keys.root = (await fx.token(root)).key;
    keys.deleted = (await fx.token(deleted)).key;
    keys.disabled = (await createToken(t.app, { userId: common.id, status: 2 })).key;
    keys.expired = (await createToken(t.app, { userId: common.id, expiredTime: Math.floor(Date.now() / 1000) - 60 })).key;
    await t.http.delete(`/1/users/${deleted.id}`).set(auth(root.token)).expect(200);
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  /** The caller, the owner of the named objects, and the headers of a column for an operation. */
  function credential(column: Column, operation: DocumentOperation): { caller: TestUser; target: TestUser; headers: Record<string, string> } {
    const apiToken = operation.schemes.includes('apiToken');
    const newApiUser = operation.schemes.includes('newApiUser');
    const as = (user: TestUser, key: string, target = user) => ({
      caller: user,
      target,
      headers: apiToken ? auth(key) : auth(user.token, newApiUser ? user.id : undefined),
    });
    const token = (key: string) => ({ caller: common, target: common, headers: auth(key, newApiUser ? common.id : undefined) });
    switch (column) {
      case 'none':
        return { caller: common, target: common, headers: {} };
      case 'own':
        return as(common, keys.common);
      case 'other':
        return as(common, keys.common, other);
      case 'admin':
        return as(admin, keys.admin);
      case 'adminOther':
        return as(admin, keys.admin, other);
      case 'root':
        return as(root, keys.root);
      case 'deleted':
        return as(deleted, keys.deleted);
      case 'disabled':
        return token(keys.disabled);
      case 'expired':
        return token(keys.expired);
      case 'swapped':
        return apiToken ? { caller: common, target: common, headers: auth(common.token) } : token(keys.common);
    }
  }

  it('classifies every operation of the document, and nothing that is not in it', () => {
    const ids = documentOperations(document).map((operation) => operation.operationId);
    expect(ids.filter((id) => !(id in EXPECTED))).toEqual([]);
    expect(Object.keys(EXPECTED).filter((id) => !ids.includes(id))).toEqual([]);
    expect(Object.keys(REQUESTS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('answers every cell with the status the table states', async () => {
    const mismatches: string[] = [];
    for (const operation of documentOperations(document)) {
      const expected = EXPECTED[operation.operationId];
      if (!expected) continue; // reported by the test above
      for (const column of COLUMNS) {
        const { caller, target, headers } = credential(column, operation);
        const spec = await REQUESTS[operation.operationId]({ caller, target, foreign: target !== caller, fx });
        const url = fillPath(operation.path, spec.params ?? {});
        let req = t.http[operation.method as 'get'](url).set(headers);
        if (spec.query) req = req.query(spec.query);
        const res = spec.body === undefined ? await req : await req.send(spec.body as object);
        const wrong = spec.after?.(res);
        if (res.status !== expected[column]) {
          mismatches.push(`${operation.operationId} ${column}: expected ${expected[column]}, got ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        } else if (res.status === 200 && wrong) mismatches.push(`${operation.operationId} ${column}: ${wrong}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 180_000);
});
