import { DataSource } from 'typeorm';
import { UsageDailyEntity } from '../../src/usages/entities/usage-daily.entity';
import { UsagePeriodUserEntity } from '../../src/usages/entities/usage-period-user.entity';
import { periodStarts } from '../../src/usages/usage-days';
import { UsageRecordEntity } from '../../src/usages/entities/usage-record.entity';
import { costToUnits, formatCost } from '../../src/usages/usage-cost';
import { UsageRecorder, UsageRecordInput } from '../../src/usages/usage-recorder.service';
import { PURGE_BATCH_SIZE, UsageRetentionService } from '../../src/usages/usage-retention.service';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';
import { addUser, initRoot, TestUser } from '../support/users.builder';

/** A record as the relay would report it; cost defaults to $2 per 1M tokens (gpt-3.5-turbo of seed 003). */
function usage(userId: number, tokenId: number, at: string, over: Partial<UsageRecordInput> = {}): UsageRecordInput {
  const total = over.totalTokens ?? 55;
  return {
    userId,
    tokenId,
    keyId: 1,
    model: 'gpt-3.5-turbo',
    promptTokens: total - 15,
    completionTokens: 15,
    totalTokens: total,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: ((total * 2) / 1_000_000).toFixed(10),
    quota: total,
    statusCode: 200,
    isStream: false,
    latencyMs: 120,
    ip: '203.0.113.7',
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    createdAt: new Date(at),
    ...over,
  };
}

function csvLines(text: string): string[] {
  return text.split('\r\n').filter((l) => l !== '');
}

describe.each(testDatabases())('Usages (issue 5) on %s', (_label, database) => {
  let t: TestApp;
  let recorder: UsageRecorder;
  let root: TestUser;
  let u1: TestUser;
  let u2: TestUser;
  const ROOT_TOKEN = 11;
  const U1_TOKEN = 21;
  const U2_TOKEN = 31;

  beforeAll(async () => {
    t = await createTestApp(database());
    recorder = t.app.get(UsageRecorder);
    root = await initRoot(t.http);
    u1 = await addUser(t.http, root, 'u1');
    u2 = await addUser(t.http, root, 'u2');
  });
  afterAll(async () => t?.close());

  describe('seed 003 example', () => {
    beforeAll(async () => {
      await recorder.record(usage(root.id, ROOT_TOKEN, '2023-03-20T10:00:00.000Z'));
      await recorder.record(usage(u1.id, U1_TOKEN, '2023-04-02T08:30:00.000Z'));
    });

    it('GET /1/usages?from=2023-03-18&to=2023-04-18 (admin) is exactly the seed response', async () => {
      const res = await t.http.get('/1/usages?from=2023-03-18&to=2023-04-18').set(auth(root.token)).expect(200);
      expect(res.body).toEqual([
        { cost: '0.000110', userId: 1, totalUnit: 55 },
        { cost: '0.000110', userId: 2, totalUnit: 55 },
      ]);
    });

    it('GET /1/me/usages returns the caller alone, and zeros for a caller without usage', async () => {
      const mine = await t.http.get('/1/me/usages?from=2023-03-18&to=2023-04-18').set(auth(u1.token)).expect(200);
      expect(mine.body).toEqual([{ cost: '0.000110', userId: u1.id, totalUnit: 55 }]);
      const none = await t.http.get('/1/me/usages?from=2023-03-18&to=2023-04-18').set(auth(u2.token)).expect(200);
      expect(none.body).toEqual([{ cost: '0.000000', userId: u2.id, totalUnit: 0 }]);
    });

    it('without from/to the current UTC month is reported', async () => {
      await recorder.record(usage(u2.id, U2_TOKEN, new Date().toISOString(), { totalTokens: 7 }));
      const res = await t.http.get('/1/me/usages').set(auth(u2.token)).expect(200);
      expect(res.body).toEqual([{ cost: '0.000014', userId: u2.id, totalUnit: 7 }]);
      const admin = await t.http.get('/1/usages').set(auth(root.token)).expect(200);
      expect(admin.body).toEqual([{ cost: '0.000014', userId: u2.id, totalUnit: 7 }]);
    });

    it('/1/usages/daily gives requests, tokens, cost and quota per day and model', async () => {
      const res = await t.http.get('/1/usages/daily?from=2023-03-18&to=2023-04-18').set(auth(root.token)).expect(200);
      expect(res.body).toEqual([
        { day: '2023-03-20', model: 'gpt-3.5-turbo', requests: 1, promptTokens: 40, completionTokens: 15, totalTokens: 55, cost: '0.000110', quota: 55 },
        { day: '2023-04-02', model: 'gpt-3.5-turbo', requests: 1, promptTokens: 40, completionTokens: 15, totalTokens: 55, cost: '0.000110', quota: 55 },
      ]);
    });
  });

  describe('UTC day boundaries (from inclusive, to exclusive)', () => {
    beforeAll(async () => {
      const at = ['2024-05-09T23:59:59.999Z', '2024-05-10T00:00:00.000Z', '2024-05-19T23:59:59.999Z', '2024-05-20T00:00:00.000Z'];
      for (const [i, when] of at.entries()) {
        await recorder.record(usage(u2.id, U2_TOKEN, when, { totalTokens: 10 ** i, model: 'edge-model' }));
      }
    });

    it('/1/usages counts 00:00:00.000 of from and 23:59:59.999 before to, nothing else', async () => {
      const res = await t.http.get('/1/usages?from=2024-05-10&to=2024-05-20').set(auth(root.token)).expect(200);
      expect(res.body).toEqual([{ cost: '0.000220', userId: u2.id, totalUnit: 110 }]);
      const empty = await t.http.get('/1/usages?from=2024-05-10&to=2024-05-10').set(auth(root.token)).expect(200);
      expect(empty.body).toEqual([]);
    });

    it('/daily, /logs and /export agree on the same boundaries', async () => {
      const daily = await t.http.get(`/1/usages/daily?from=2024-05-10&to=2024-05-20&user_id=${u2.id}`).set(auth(root.token)).expect(200);
      expect(daily.body.map((d: { day: string; totalTokens: number }) => [d.day, d.totalTokens])).toEqual([
        ['2024-05-10', 10],
        ['2024-05-19', 100],
      ]);
      const logs = await t.http.get('/1/usages/logs?from=2024-05-10&to=2024-05-20&model=edge-model').set(auth(root.token)).expect(200);
      expect(logs.body.items.map((r: { createdAt: string }) => r.createdAt)).toEqual(['2024-05-19T23:59:59.999Z', '2024-05-10T00:00:00.000Z']);
      const csv = await t.http.get('/1/usages/export?format=csv&from=2024-05-10&to=2024-05-20').set(auth(root.token)).expect(200);
      const lines = csvLines(csv.text);
      expect(lines).toHaveLength(3);
      expect(lines[1]).toContain('2024-05-10T00:00:00.000Z');
      expect(lines[2]).toContain('2024-05-19T23:59:59.999Z');
    });

    it('tz shifts the day edges of /logs and /export to local midnights; rollup reports refuse a non-zero tz', async () => {
      const logs = await t.http.get('/1/usages/logs?from=2024-05-10&to=2024-05-20&tz=%2B08:00&model=edge-model').set(auth(root.token)).expect(200);
      expect(logs.body.items.map((r: { createdAt: string }) => r.createdAt)).toEqual(['2024-05-10T00:00:00.000Z', '2024-05-09T23:59:59.999Z']);
      const csv = await t.http.get('/1/usages/export?from=2024-05-10&to=2024-05-20&tz=%2B08:00').set(auth(root.token)).expect(200);
      expect(csvLines(csv.text)).toHaveLength(3);
      const refused = await t.http.get('/1/usages?from=2024-05-10&to=2024-05-20&tz=%2B08:00').set(auth(root.token)).expect(400);
      expect(refused.body.message).toMatch(/^tz: rollup reports are per UTC day/);
      await t.http.get('/1/usages/daily?from=2024-05-10&to=2024-05-20&tz=Z').set(auth(root.token)).expect(200);
      const bad = await t.http.get('/1/usages/logs?tz=Mars').set(auth(root.token)).expect(400);
      expect(bad.body.message).toMatch(/^tz must be/);
    });
  });

  describe('isolation: a common user never reads another user', () => {
    it('a common user on /1/usages sees only themself; user_id of another is 403 on every route', async () => {
      const res = await t.http.get('/1/usages?from=2023-03-18&to=2023-04-18').set(auth(u1.token)).expect(200);
      expect(res.body).toEqual([{ cost: '0.000110', userId: u1.id, totalUnit: 55 }]);
      for (const path of ['/1/usages', '/1/usages/daily', '/1/usages/logs', '/1/usages/export']) {
        const denied = await t.http.get(`${path}?from=2023-03-18&to=2023-04-18&user_id=${root.id}`).set(auth(u1.token)).expect(403);
        expect(denied.body).toEqual({ message: expect.stringContaining('user_id') });
      }
      await t.http.get(`/1/usages/logs?user_id=${u1.id}`).set(auth(u1.token)).expect(200);
    });

    it('without user_id, /daily, /logs and /export hold only the caller\'s records, whatever other filter', async () => {
      const daily = await t.http.get('/1/usages/daily?from=2023-03-01&to=2023-05-01').set(auth(u1.token)).expect(200);
      expect(daily.body).toHaveLength(1);
      expect(daily.body[0].day).toBe('2023-04-02');
      const byRootToken = await t.http.get(`/1/usages/daily?from=2023-03-01&to=2023-05-01&token_id=${ROOT_TOKEN}`).set(auth(u1.token)).expect(200);
      expect(byRootToken.body).toEqual([]);
      const logs = await t.http.get('/1/usages/logs?size=100').set(auth(u1.token)).expect(200);
      expect(logs.body.items.length).toBeGreaterThan(0);
      expect(logs.body.items.every((r: { userId: number }) => r.userId === u1.id)).toBe(true);
      const logsByToken = await t.http.get(`/1/usages/logs?token_id=${ROOT_TOKEN}`).set(auth(u1.token)).expect(200);
      expect(logsByToken.body.items).toEqual([]);
      const csv = await t.http.get('/1/usages/export?from=2023-03-01&to=2023-05-01').set(auth(u1.token)).expect(200);
      const rows = csvLines(csv.text).slice(1);
      expect(rows).toHaveLength(1);
      expect(rows[0].split(',')[2]).toBe(String(u1.id));
    });

    it('401 without a token on every route', async () => {
      for (const path of ['/1/usages', '/1/me/usages', '/1/usages/daily', '/1/usages/logs', '/1/usages/export']) {
        await t.http.get(path).expect(401);
      }
    });
  });

  describe('400s name the parameter', () => {
    it.each([
      ['/1/usages?from=2023-3-18&to=2023-04-18', /^from /],
      ['/1/usages?from=2023-03-18&to=2023-02-30', /^to /],
      ['/1/me/usages?from=2023-04-18&to=2023-03-18', /^from must not be after to/],
      ['/1/usages/daily?from=2023-01-01&to=2024-01-03', /^to must be at most 366 days/],
      ['/1/usages/daily?user_id=abc', /^user_id /],
      ['/1/usages/logs?size=1000', /^size /],
      ['/1/usages/logs?p=0', /^p /],
      ['/1/usages/logs?status=abc', /^status /],
      ['/1/usages/logs?from=yesterday', /^from /],
      ['/1/usages/export?format=xml', /^format /],
      ['/1/usages/export?from=2023-01-01&to=2025-01-01', /^to must be at most 366 days/],
    ])('%s', async (path, message) => {
      const res = await t.http.get(path).set(auth(root.token)).expect(400);
      expect(res.body.message).toMatch(message);
    });
  });

  describe('rollups after a mixed workload', () => {
    const FROM = '2025-01-01';
    const TO = '2025-01-04';

    beforeAll(async () => {
      const models = ['gpt-4o', 'gpt-3.5-turbo', 'claude-3'];
      const users = [
        [root.id, ROOT_TOKEN],
        [u1.id, U1_TOKEN],
        [u1.id, U1_TOKEN + 1],
        [u2.id, U2_TOKEN],
      ];
      const inputs: UsageRecordInput[] = [];
      for (let i = 0; i < 120; i++) {
        const [userId, tokenId] = users[i % users.length];
        const when = new Date(Date.UTC(2025, 0, 1) + ((i * 7919) % (3 * 86_400)) * 1000 + (i % 1000));
        const model = models[i % models.length];
        const kind = i % 5;
        if (kind < 3) {
          // success: odd prices with all 10 decimals, to catch float drift
          inputs.push(usage(userId, tokenId, when.toISOString(), { model, totalTokens: 17 + i, costUsd: `0.${String(1234567 * (i + 1)).padStart(10, '0').slice(-10)}`, quota: 100 + i }));
        } else if (kind === 3) {
          // upstream failure: nothing charged
          inputs.push(usage(userId, tokenId, when.toISOString(), { model, promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: '0', quota: 0, statusCode: 502 }));
        } else {
          // client went away, reservation refunded: tokens counted, quota 0
          inputs.push(usage(userId, tokenId, when.toISOString(), { model, totalTokens: 30, costUsd: '0.0000600000', quota: 0, statusCode: 499, isStream: true }));
        }
      }
      // concurrent writers hitting the same rollup keys
      for (let i = 0; i < inputs.length; i += 20) await Promise.all(inputs.slice(i, i + 20).map((input) => recorder.record(input)));
    });

    type Rollup = UsageDailyEntity | UsagePeriodUserEntity;
    type RecordKey = { day: string; userId: number; tokenId: number; model: string };
    it.each([
      ['usage_daily (day, user, token, model)', UsageDailyEntity, (r: RecordKey) => [[r.day, r.userId, r.tokenId, r.model]], (d: Rollup) => { const x = d as UsageDailyEntity; return [x.day, x.userId, x.tokenId, x.model]; }],
      ['usage_period_user (day/week/month, user)', UsagePeriodUserEntity, (r: RecordKey) => (['D', 'W', 'M'] as const).map((g) => [g, periodStarts(r.day)[g], r.userId]), (d: Rollup) => { const x = d as UsagePeriodUserEntity; return [x.grain, x.periodStart, x.userId]; }],
    ] as const)('%s equals a recount from usage_records, key by key, exactly', async (_name, entity, keysOfRecord, keyOf) => {
      const ds = t.app.get(DataSource);
      const records = await ds.getRepository(UsageRecordEntity).find();
      const recount = new Map<string, { requests: number; prompt: number; completion: number; total: number; cost: bigint; quota: number }>();
      for (const r of records) for (const k of keysOfRecord({ day: r.createdAt.toISOString().slice(0, 10), userId: r.userId, tokenId: r.tokenId ?? 0, model: r.model })) {
        const key = k.join('|');
        const agg = recount.get(key) ?? { requests: 0, prompt: 0, completion: 0, total: 0, cost: 0n, quota: 0 };
        agg.requests += 1;
        agg.prompt += r.promptTokens;
        agg.completion += r.completionTokens;
        agg.total += r.totalTokens;
        agg.cost += costToUnits(r.costUsd);
        agg.quota += r.quota;
        recount.set(key, agg);
      }
      const rollups: Rollup[] = await ds.getRepository<Rollup>(entity).find();
      expect(rollups).toHaveLength(recount.size);
      for (const d of rollups) {
        const agg = recount.get(keyOf(d).join('|'));
        expect(agg).toBeDefined();
        expect({ requests: d.requests, prompt: d.promptTokens, completion: d.completionTokens, total: d.totalTokens, quota: d.quota }).toEqual({
          requests: agg!.requests,
          prompt: agg!.prompt,
          completion: agg!.completion,
          total: agg!.total,
          quota: agg!.quota,
        });
        expect(formatCost(costToUnits(d.costUsd), 10)).toBe(formatCost(agg!.cost, 10));
      }
    });

    it('/1/usages and /daily equal the same recount through the API', async () => {
      const logs: { userId: number; model: string; totalTokens: number; costUsd: string; quota: number; createdAt: string }[] = [];
      let cursor: number | null = null;
      do {
        const page: { body: { items: typeof logs; nextCursor: number | null } } = await t.http
          .get(`/1/usages/logs?from=${FROM}&to=${TO}&size=37${cursor ? `&cursor=${cursor}` : ''}`)
          .set(auth(root.token))
          .expect(200);
        logs.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(logs).toHaveLength(120);

      const perUser = new Map<number, { total: number; cost: bigint }>();
      for (const r of logs) {
        const agg = perUser.get(r.userId) ?? { total: 0, cost: 0n };
        agg.total += r.totalTokens;
        agg.cost += costToUnits(r.costUsd);
        perUser.set(r.userId, agg);
      }
      const expected = [...perUser.entries()].sort(([a], [b]) => a - b).map(([userId, a]) => ({ cost: formatCost(a.cost), userId, totalUnit: a.total }));
      const summary = await t.http.get(`/1/usages?from=${FROM}&to=${TO}`).set(auth(root.token)).expect(200);
      expect(summary.body).toEqual(expected);

      const daily = await t.http.get(`/1/usages/daily?from=${FROM}&to=${TO}&user_id=${u1.id}`).set(auth(root.token)).expect(200);
      const mine = logs.filter((r) => r.userId === u1.id);
      expect(daily.body.reduce((s: number, d: { requests: number }) => s + d.requests, 0)).toBe(mine.length);
      expect(daily.body.reduce((s: number, d: { quota: number }) => s + d.quota, 0)).toBe(mine.reduce((s, r) => s + r.quota, 0));
    });

    it('/logs pages by p are newest first and match the cursor walk', async () => {
      const p1 = await t.http.get(`/1/usages/logs?from=${FROM}&to=${TO}&size=10&p=1`).set(auth(root.token)).expect(200);
      const p2 = await t.http.get(`/1/usages/logs?from=${FROM}&to=${TO}&size=10&p=2`).set(auth(root.token)).expect(200);
      const byCursor = await t.http.get(`/1/usages/logs?from=${FROM}&to=${TO}&size=10&cursor=${p1.body.nextCursor}`).set(auth(root.token)).expect(200);
      expect(p1.body).toMatchObject({ page: 1, size: 10 });
      expect(p2.body.items.map((r: { id: number }) => r.id)).toEqual(byCursor.body.items.map((r: { id: number }) => r.id));
      const ids = [...p1.body.items, ...p2.body.items].map((r: { id: number }) => r.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      const failed = await t.http.get(`/1/usages/logs?status=502&model=gpt-4o&size=100`).set(auth(root.token)).expect(200);
      expect(failed.body.items.length).toBeGreaterThan(0);
      expect(failed.body.items.every((r: { statusCode: number; model: string; quota: number }) => r.statusCode === 502 && r.model === 'gpt-4o' && r.quota === 0)).toBe(true);
    });
  });

  describe('CSV export and retention over bulk records', () => {
    const BULK = PURGE_BATCH_SIZE + 1234; // more than one export batch and one purge batch

    beforeAll(async () => {
      const repo = t.app.get(DataSource).getRepository(UsageRecordEntity);
      const start = Date.UTC(2022, 5, 1);
      const rows: UsageRecordInput[] = [];
      for (let i = 0; i < BULK; i++) rows.push(usage(i % 2 ? u1.id : u2.id, 99, new Date(start + i * 60_000).toISOString(), { model: i % 97 === 0 ? 'we,ird "model"' : 'bulk-model' }));
      for (let i = 0; i < rows.length; i += 500) await repo.insert(rows.slice(i, i + 500));
    });

    it('streams one CSV row per record in range (header + rows), with text/csv and escaping', async () => {
      const res = await t.http.get('/1/usages/export?format=csv&from=2022-06-01&to=2022-07-01').set(auth(root.token)).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toContain('usages-2022-06-01-2022-07-01.csv');
      const lines = csvLines(res.text);
      expect(lines[0]).toBe('id,created_at,user_id,token_id,key_id,model,prompt_tokens,completion_tokens,total_tokens,cost_usd,quota,status_code,is_stream,latency_ms,request_id');
      const count = await t.app.get(DataSource).getRepository(UsageRecordEntity).createQueryBuilder('r')
        .where('r.created_at >= :a AND r.created_at < :b', { a: '2022-06-01 00:00:00.000', b: '2022-07-01 00:00:00.000' }).getCount();
      expect(count).toBe(BULK);
      expect(lines).toHaveLength(count + 1);
      expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(count);
      expect(lines.some((l) => l.includes('"we,ird ""model"""'))).toBe(true);
      const own = await t.http.get('/1/usages/export?from=2022-06-01&to=2022-07-01').set(auth(u1.token)).expect(200);
      expect(csvLines(own.text)).toHaveLength(Math.floor(BULK / 2) + 1);
    });

    it('the retention purge deletes records past USAGE_RETENTION_DAYS in batches and keeps the rollups', async () => {
      const ds = t.app.get(DataSource);
      const before = await t.http.get('/1/usages?from=2023-03-18&to=2023-04-18').set(auth(root.token)).expect(200);
      const total = await ds.getRepository(UsageRecordEntity).count();
      // now = 2023-06-10, 90 days back = 2023-03-12: removes the 2022 bulk rows only
      const deleted = await t.app.get(UsageRetentionService).purgeExpired(new Date('2023-06-10T00:00:00Z'));
      expect(deleted).toBe(BULK);
      expect(await ds.getRepository(UsageRecordEntity).count()).toBe(total - BULK);
      // now = 2023-07-01: cuts at 2023-04-02, the seed's root record (03-20) goes, u1's (04-02 08:30) stays
      expect(await t.app.get(UsageRetentionService).purgeExpired(new Date('2023-07-01T00:00:00Z'))).toBe(1);
      const after = await t.http.get('/1/usages?from=2023-03-18&to=2023-04-18').set(auth(root.token)).expect(200);
      expect(after.body).toEqual(before.body);
    });
  });
});
