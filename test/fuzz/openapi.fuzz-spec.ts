import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ChildServer, startChildServer } from '../support/child-server';
import { documentOperations, DocumentOperation } from '../support/openapi-operations';
import { StubUpstream } from '../support/stub-upstream';
import { testDatabases } from '../support/test-databases';
import { encodeLoose, FuzzRequest, requestFor } from './openapi-arbitraries';
import { fuzzSettings } from './fuzz-settings';

/** The callers every operation is fuzzed as (public routes too: a credential must change nothing there). */
const ROLES = ['none', 'common', 'admin', 'root'] as const;
type Role = (typeof ROLES)[number];

/** A caller: its user id, its access token and the `sk-` key of one of its tokens. */
interface Caller {
  id: number;
  token: string;
  key: string;
}

/** Fields naming objects by id: generated values that name a caller's own user, token or the upstream key are moved to a victim's. */
const ID_FIELDS = new Set(['id', 'ids', 'user_id', 'token_id']);

const settings = fuzzSettings();

/**
 * The property-based fuzz (fast-check) of every operation of the OpenAPI document the built server
 * serves: path parameters, queries and bodies drawn from each operation's schemas with hostile
 * values mixed in (see openapi-arbitraries.ts), sent as each role. Whatever is sent, the answer is
 * never a 5xx and comes, whole, within the time bound. The relay's upstream is a local stub.
 * Seeded and bounded by FUZZ_SEED, FUZZ_RUNS, FUZZ_BUDGET_MS and FUZZ_REQUEST_MS (fuzz-settings.ts).
 */
describe.each(testDatabases())(`The API fuzz (seed ${settings.seed}) on %s`, (label, database) => {
  const db = database();
  let server: ChildServer;
  let stub: StubUpstream;
  let document: OpenAPIObject;
  const callers = {} as Record<Exclude<Role, 'none'>, Caller>;
  /** Ids that fuzzed writes must not reach (the callers and their tokens, the stub key), and what they become. */
  const protectedIds = new Set<number>();
  let victim: { userId: number; tokenId: number };
  let client = 0;

  beforeAll(async () => {
    stub = await StubUpstream.start();
    server = await startChildServer(
      { DATABASE_URL: await db.create(), TOLLGATE_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'error', TRUST_PROXY: 'loopback' },
      60_000,
      'built',
    );
    document = (await setup('GET', '/docs-json')).json as OpenAPIObject;
    const init = await setup('POST', '/1/users/init');
    const root = { id: init.json.id as number, token: init.json.token as string };
    const asRoot = { authorization: `Bearer ${root.token}` };
    const user = async (name: string) => (await setup('POST', '/1/users', { headers: asRoot, json: { name } })).json as { id: number; token: string };
    const admin = await user('fuzz-admin');
    await setup('PATCH', `/1/users/${admin.id}`, { headers: asRoot, json: { role: 10 } });
    const common = await user('fuzz-common');
    const victimUser = await user('fuzz-victim');
    const key = await setup('POST', '/1/keys', { headers: asRoot, json: { key: 'sk-upstream-fuzz', name: 'stub', endpoint: stub.baseUrl, priority: 10 } });
    await setup('PUT', '/1/prices', { headers: asRoot, json: { prices: [{ model: 'gpt-3.5-turbo', input: '1', output: '2' }, { model: 'text-embedding-3-small', input: '1', output: '0' }] } });
    const apiToken = async (owner: { id: number; token: string }) => {
      const headers = { authorization: `Bearer ${owner.token}`, 'new-api-user': String(owner.id) };
      await setup('POST', '/api/token/', { headers, json: { name: 'fuzz', remain_quota: 500_000_000, expired_time: -1 } });
      const list = await setup('GET', '/api/token/?p=1&size=1', { headers });
      const id = list.json.data.items[0].id as number;
      const revealed = await setup('POST', `/api/token/${id}/key`, { headers });
      return { id, key: `sk-${revealed.json.data.key}` };
    };
    for (const [role, u] of [['root', root], ['admin', admin], ['common', common]] as const) {
      const token = await apiToken(u);
      callers[role] = { id: u.id, token: u.token, key: token.key };
      protectedIds.add(u.id).add(token.id);
    }
    protectedIds.add(key.json.id);
    victim = { userId: victimUser.id, tokenId: (await apiToken(victimUser)).id };
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await stub?.close();
    await db.drop();
  });

  /** One request to the server; throws on no answer within the bound. */
  async function call(method: string, path: string, init: { headers?: Record<string, string>; json?: unknown; body?: BodyInit } = {}) {
    const headers = { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(settings.requestMs),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  }

  /** {@link call} for the fixtures: throws unless the answer is 2xx. */
  async function setup(method: string, path: string, init: { headers?: Record<string, string>; json?: unknown } = {}) {
    const res = await call(method, path, init);
    if (res.status >= 300) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }

  /** `value` with numbers (or numeric strings) that name a protected id moved to the victim's, in id fields only. */
  function shield(value: unknown, field?: string): unknown {
    if (field && ID_FIELDS.has(field)) {
      const swap = (v: unknown): unknown => (protectedIds.has(Number(v)) && String(v).trim() !== '' ? (field === 'user_id' ? victim.userId : victim.tokenId) : v);
      if (Array.isArray(value)) return value.map(swap);
      if (typeof value === 'string' && value.includes(',')) return value.split(',').map(swap).join(',');
      return swap(value);
    }
    if (Array.isArray(value)) return value.map((item) => shield(item));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shield(v, k)]));
    return value;
  }

  /** The URL, headers and body of a generated request, as `role` sends it. */
  function compose(operation: DocumentOperation, role: Role, request: FuzzRequest): { url: string; headers: Record<string, string>; body?: BodyInit } {
    let path = operation.path;
    for (const [name, value] of Object.entries(request.params)) {
      const target = protectedIds.has(Number(value)) ? String(operation.path.startsWith('/1/users') ? victim.userId : victim.tokenId) : value;
      path = path.replace(`{${name}}`, encodeLoose(target));
    }
    const query = request.query.map(([name, value]) => `${encodeLoose(name)}=${encodeLoose(value)}`).join('&');
    const headers: Record<string, string> = { 'x-forwarded-for': `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client++ & 255}` };
    if (role !== 'none') {
      const caller = callers[role];
      headers.authorization = `Bearer ${operation.schemes.includes('apiToken') ? caller.key : caller.token}`;
      if (operation.schemes.includes('newApiUser')) headers['new-api-user'] = request.newApiUser ?? String(caller.id);
    }
    const body = shield(request.body);
    switch (request.bodyKind) {
      case 'json':
        headers['content-type'] = 'application/json';
        return { url: `${path}${query ? `?${query}` : ''}`, headers, body: JSON.stringify(body) ?? 'null' };
      case 'form': {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        const form = new URLSearchParams();
        if (body && typeof body === 'object' && !Array.isArray(body)) {
          for (const [k, v] of Object.entries(body)) for (const item of Array.isArray(v) ? v : [v]) form.append(k, typeof item === 'string' ? item : JSON.stringify(item) ?? '');
        } else form.append('body', String(body));
        return { url: `${path}${query ? `?${query}` : ''}`, headers, body: form.toString() };
      }
      case 'raw':
        headers['content-type'] = 'application/json';
        return { url: `${path}${query ? `?${query}` : ''}`, headers, body: typeof body === 'string' ? body : new Uint8Array(body as Buffer) };
      default:
        return { url: `${path}${query ? `?${query}` : ''}`, headers };
    }
  }

  it('answers every generated request to every operation, as every role, with no 5xx and in time', async () => {
    const operations = documentOperations(document).filter((operation) => !settings.only || settings.only.includes(operation.operationId));
    expect(operations.length).toBeGreaterThan(0);
    const budget = settings.budgetMs / operations.length;
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (const operation of operations) {
      const property = fc.asyncProperty(fc.constantFrom(...ROLES), requestFor(document, operation), async (role, request) => {
        const { url, headers, body } = compose(operation, role, request);
        const started = Date.now();
        let res: { status: number; text: string };
        try {
          res = await call(operation.method.toUpperCase(), url, { headers, body });
        } catch (error) {
          const reason = (error as Error).name === 'TimeoutError' ? `no whole answer within ${settings.requestMs} ms` : (error as Error).message;
          throw new Error(`${operation.method.toUpperCase()} ${url} as ${role}: ${reason} (after ${Date.now() - started} ms)`);
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) throw new Error(`${operation.method.toUpperCase()} ${url} as ${role}: ${res.status} ${res.text.slice(0, 300)}`);
      });
      const details = await fc.check(property, { seed: settings.seed, numRuns: settings.runs, interruptAfterTimeLimit: budget, endOnFailure: !settings.shrink });
      if (details.failed) {
        const counterexample = fc.stringify(details.counterexample);
        failures.push(
          `${operation.operationId}: ${(details.errorInstance as Error | undefined)?.message ?? 'interrupted'}\n` +
            `  reproduce: FUZZ_SEED=${settings.seed} FUZZ_ONLY=${operation.operationId} npm run test:fuzz (run ${details.numRuns} of that sequence)\n` +
            `  request: ${counterexample.length > 1500 ? `${counterexample.slice(0, 1500)}…` : counterexample}`,
        );
      }
    }
    if (!settings.quiet) {
      const tally = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
      process.stdout.write(`fuzz on ${label}: seed ${settings.seed}, ${operations.length} operations, answers ${tally}\n`);
    }
    expect(failures).toEqual([]);
    expect((await call('GET', '/healthz')).status).toBe(200);
  }, settings.budgetMs * 2 + 120_000);
});
