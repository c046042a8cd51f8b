import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { QuotaLedger } from '../../src/metering/quota-ledger.service';
import { addKey, createToken, usageRecords } from '../support/relay.builder';
import { FAULTS, StubUpstream } from '../support/stub-upstream';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { TestDatabase, testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

const METRICS_TOKEN = 'scraper-secret-0123456789';
const CHAT = { model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 };

/** One sample of a parsed family. */
interface Sample {
  labels?: Record<string, string>;
  value?: string;
  count?: string;
  buckets?: Record<string, string>;
}
interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}

function sameDatabase(url: string): TestDatabase {
  return { label: 'shared', create: async () => url, drop: async () => undefined };
}

describe.each(testDatabases())('GET /metrics on %s', (label, database) => {
  let t: TestApp;
  let url = '';
  let stub: StubUpstream;
  let root: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    stub = await StubUpstream.start();
    const db = database();
    t = await createTestApp({ ...db, create: async () => (url = await db.create()) }, { METRICS_TOKEN });
    root = await initRoot(t.http);
    user = await addUser(t.http, root, 'metered');
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  /** The families of a scrape by name, and its raw text (for histograms: see {@link observations}). */
  async function scrape(): Promise<Map<string, Family> & { text?: string }> {
    const res = await t.http.get('/metrics').set(auth(METRICS_TOKEN)).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const families: Map<string, Family> & { text?: string } = new Map((parsePrometheusTextFormat(res.text) as Family[]).map((family) => [family.name, family]));
    families.text = res.text;
    return families;
  }
  /** The sum of a counter's or gauge's samples whose labels include `labels`. */
  function total(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
    const family = families.get(name);
    if (!family) throw new Error(`no ${name} in /metrics`);
    return family.metrics
      .filter((sample) => Object.entries(labels).every(([k, v]) => sample.labels?.[k] === v))
      .reduce((sum, sample) => sum + Number(sample.value), 0);
  }
  /**
   * A histogram's `_count` for one label set, read from the text: the parser folds a histogram's
   * label sets into one (it keeps only the buckets of the last), so it checks the format only.
   */
  function observations(families: { text?: string }, name: string, labels: Record<string, string>): number {
    const wanted = `${name}_count{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}} `;
    const line = families.text!.split('\n').find((l) => l.startsWith(wanted));
    return line ? Number(line.slice(wanted.length)) : 0;
  }

  it('is refused without the scraper token, with a wrong one, and is off (404) when METRICS_TOKEN is unset', async () => {
    await t.http.get('/metrics').expect(401);
    await t.http.get('/metrics').set(auth(`${METRICS_TOKEN}x`)).expect(401);
    await t.http.get('/metrics').set(auth(root.token)).expect(401);
    const off = await createTestApp(sameDatabase(url));
    try {
      await off.http.get('/metrics').set(auth(METRICS_TOKEN)).expect(404);
    } finally {
      await off.close();
    }
  });

  it('parses as Prometheus text, and its counters match the requests made', async () => {
    const first = await addKey(t.http, root, { key: 'sk-metrics-first-0001', name: 'm-first', endpoint: stub.baseUrl, priority: 10 });
    const second = await addKey(t.http, root, { key: 'sk-metrics-second-0002', name: 'm-second', endpoint: stub.baseUrl, priority: 0 });
    const token = await createToken(t.app, { userId: user.id, remainQuota: 1_000_000 });
    const before = await scrape();
    const count = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) => (families.has(name) ? total(families, name, labels) : 0);

    for (let i = 0; i < 3; i++) await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200);
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send({ ...CHAT, stream: true }).expect(200);
    stub.failKey('sk-metrics-first-0001', FAULTS.serverError);
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send(CHAT).expect(200); // first key fails, second answers
    stub.reset();
    await t.http.post('/v1/chat/completions').set(auth(token.key)).send({ ...CHAT, model: 'no-such-model' }).expect(404);
    await t.http.post('/v1/chat/completions').set(auth('sk-not-a-key-of-this-gateway')).send(CHAT).expect(401);
    await t.app.get(QuotaLedger).drain();

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => count(after, name, labels) - count(before, name, labels);
    expect(delta('tollgate_relay_requests_total', { model: 'gpt-3.5-turbo', status: '200', reason: 'ok' })).toBe(5);
    expect(delta('tollgate_relay_requests_total', { model: 'other', status: '404', reason: 'model_not_found' })).toBe(1);
    expect(delta('tollgate_relay_requests_total', { model: 'gpt-3.5-turbo', status: '401', reason: 'invalid_api_key' })).toBe(1);
    expect(delta('tollgate_relay_requests_total')).toBe(7);
    expect(after.get('tollgate_relay_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const histogram = (name: string) => observations(after, name, { model: 'gpt-3.5-turbo' }) - observations(before, name, { model: 'gpt-3.5-turbo' });
    expect(histogram('tollgate_relay_request_duration_seconds')).toBe(6); // the five answered and the refused key's
    expect(histogram('tollgate_relay_time_to_first_byte_seconds')).toBe(1);
    expect(delta('tollgate_upstream_errors_total', { key_id: String(first.id), status: '500' })).toBe(1);
    expect(delta('tollgate_upstream_errors_total', { key_id: String(second.id) })).toBe(0);
    expect(delta('tollgate_upstream_retries_total', { key_id: String(first.id) })).toBe(1);
    expect(delta('tollgate_relay_tokens_total', { model: 'gpt-3.5-turbo', kind: 'prompt' })).toBe(5 * 5);
    expect(delta('tollgate_relay_tokens_total', { model: 'gpt-3.5-turbo', kind: 'completion' })).toBe(5 * 50);
    const charged = (await usageRecords(t.app, token.id)).reduce((sum, record) => sum + record.quota, 0);
    expect(charged).toBeGreaterThan(0);
    expect(delta('tollgate_quota_charged_total', { model: 'gpt-3.5-turbo' })).toBe(charged);

    expect(after.get('tollgate_metering_leases')?.type).toBe('GAUGE');
    expect(total(after, 'tollgate_metering_settlement_queue')).toBe(0); // drained
    expect(total(after, 'tollgate_metering_leased_quota')).toBeGreaterThanOrEqual(0);
    if (label !== 'sqlite') expect(total(after, 'tollgate_db_pool_connections', { state: 'limit' })).toBeGreaterThan(0);
  });

  it('labels a model the price table does not name as `other`, whatever name a client sends', async () => {
    const token = await createToken(t.app, { userId: user.id });
    for (const model of ['made-up-1', 'made-up-2']) await t.http.post('/v1/chat/completions').set(auth(token.key)).send({ ...CHAT, model }).expect(404);
    const families = await scrape();
    const models = new Set(families.get('tollgate_relay_requests_total')!.metrics.map((sample) => sample.labels?.model));
    expect(models.has('made-up-1')).toBe(false);
    expect(models.has('other')).toBe(true);
  });
});
