import { DataSource } from 'typeorm';
import { CreateUsageHourly1764000007000 } from '../../src/database/migrations/1764000007000-create-usage-hourly';
import { UsageDailyEntity } from '../../src/usages/entities/usage-daily.entity';
import { UsageHourlyEntity } from '../../src/usages/entities/usage-hourly.entity';
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

type DailyRow = { day: string; model: string; requests: number; totalTokens: number; cost: string; quota: number };

function csvLines(text: string): string[] {
  return text.split('\r\n').filter((l) => l !== '');
}

describe.each(testDatabases())('Usages (seed 003) on %s', (_label, database) => {
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

    it('tz shifts the day edges of /logs, /export and the rollup reports alike to local midnights', async () => {
      const logs = await t.http.get('/1/usages/logs?from=2024-05-10&to=2024-05-20&tz=%2B08:00&model=edge-model').set(auth(root.token)).expect(200);
      expect(logs.body.items.map((r: { createdAt: string }) => r.createdAt)).toEqual(['2024-05-10T00:00:00.000Z', '2024-05-09T23:59:59.999Z']);
      const csv = await t.http.get('/1/usages/export?from=2024-05-10&to=2024-05-20&tz=%2B08:00').set(auth(root.token)).expect(200);
      expect(csvLines(csv.text)).toHaveLength(3);
      const local = await t.http.get('/1/usages?from=2024-05-10&to=2024-05-20&tz=%2B08:00').set(auth(root.token)).expect(200);
      expect(local.body).toEqual([{ cost: '0.000022', userId: u2.id, totalUnit: 11 }]);
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

    type Rollup = UsageDailyEntity | UsageHourlyEntity | UsagePeriodUserEntity;
    type RecordKey = { day: string; hour: string; userId: number; tokenId: number; model: string };
    it.each([
      ['usage_daily (day, user, token, model)', UsageDailyEntity, (r: RecordKey) => [[r.day, r.userId, r.tokenId, r.model]], (d: Rollup) => { const x = d as UsageDailyEntity; return [x.day, x.userId, x.tokenId, x.model]; }],
      ['usage_hourly (hour, user, token, model)', UsageHourlyEntity, (r: RecordKey) => [[r.hour, r.userId, r.tokenId, r.model]], (d: Rollup) => { const x = d as UsageHourlyEntity; return [x.hourStart, x.userId, x.tokenId, x.model]; }],
      ['usage_period_user (day/week/month, user)', UsagePeriodUserEntity, (r: RecordKey) => (['D', 'W', 'M'] as const).map((g) => [g, periodStarts(r.day)[g], r.userId]), (d: Rollup) => { const x = d as UsagePeriodUserEntity; return [x.grain, x.periodStart, x.userId]; }],
    ] as const)('%s equals a recount from usage_records, key by key, exactly', async (_name, entity, keysOfRecord, keyOf) => {
      const ds = t.app.get(DataSource);
      const records = await ds.getRepository(UsageRecordEntity).find();
      const recount = new Map<string, { requests: number; prompt: number; completion: number; total: number; cost: bigint; quota: number }>();
      for (const r of records) for (const k of keysOfRecord({ day: r.createdAt.toISOString().slice(0, 10), hour: r.createdAt.toISOString().slice(0, 13).replace('T', ' '), userId: r.userId, tokenId: r.tokenId ?? 0, model: r.model })) {
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

    it.each(['%2B08:00', '-05:00', '%2B14:00', '-12:00'])('with tz=%s, /1/usages and /daily equal a recount of /logs by local day', async (tz) => {
      const offsetMs = (tz.startsWith('-') ? -1 : 1) * Number(tz.slice(-5, -3)) * 3_600_000;
      const logs: { userId: number; model: string; totalTokens: number; costUsd: string; quota: number; createdAt: string }[] = [];
      let cursor: number | null = null;
      do {
        const page: { body: { items: typeof logs; nextCursor: number | null } } = await t.http
          .get(`/1/usages/logs?from=${FROM}&to=${TO}&tz=${tz}&size=100${cursor ? `&cursor=${cursor}` : ''}`)
          .set(auth(root.token))
          .expect(200);
        logs.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      expect(logs.length).toBeGreaterThan(60);

      const perUser = new Map<number, { total: number; cost: bigint }>();
      const perDay = new Map<string, { requests: number; total: number; cost: bigint; quota: number }>();
      for (const r of logs) {
        const u = perUser.get(r.userId) ?? { total: 0, cost: 0n };
        u.total += r.totalTokens;
        u.cost += costToUnits(r.costUsd);
        perUser.set(r.userId, u);
        const key = `${new Date(Date.parse(r.createdAt) + offsetMs).toISOString().slice(0, 10)}|${r.model}`;
        const d = perDay.get(key) ?? { requests: 0, total: 0, cost: 0n, quota: 0 };
        d.requests += 1;
        d.total += r.totalTokens;
        d.cost += costToUnits(r.costUsd);
        d.quota += r.quota;
        perDay.set(key, d);
      }
      const summary = await t.http.get(`/1/usages?from=${FROM}&to=${TO}&tz=${tz}`).set(auth(root.token)).expect(200);
      expect(summary.body).toEqual([...perUser].sort(([a], [b]) => a - b).map(([userId, a]) => ({ cost: formatCost(a.cost), userId, totalUnit: a.total })));
      const daily = await t.http.get(`/1/usages/daily?from=${FROM}&to=${TO}&tz=${tz}`).set(auth(root.token)).expect(200);
      const expected = [...perDay]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, d]) => [...key.split('|'), d.requests, d.total, formatCost(d.cost), d.quota]);
      expect(daily.body.map((d: DailyRow) => [d.day, d.model, d.requests, d.totalTokens, d.cost, d.quota])).toEqual(expected);
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

  describe('local days of a whole-hour offset (tz) on the rollup reports', () => {
    // records around local midnights of +08:00 (16:00Z) and -05:00 (05:00Z), in powers of two so any sum names its records
    const AROUND_MARCH_10: [string, number][] = [
      ['2024-03-09T15:59:59.999Z', 1], // +08: 03-09  -05: 03-09  UTC: 03-09
      ['2024-03-09T16:00:00.000Z', 2], // +08: 03-10  -05: 03-09  UTC: 03-09
      ['2024-03-10T04:59:59.999Z', 32], // +08: 03-10  -05: 03-09  UTC: 03-10
      ['2024-03-10T05:00:00.000Z', 64], // +08: 03-10  -05: 03-10  UTC: 03-10
      ['2024-03-10T12:00:00.000Z', 4], // +08: 03-10  -05: 03-10  UTC: 03-10
      ['2024-03-10T15:59:59.999Z', 8], // +08: 03-10  -05: 03-10  UTC: 03-10
      ['2024-03-10T16:00:00.000Z', 16], // +08: 03-11  -05: 03-10  UTC: 03-10
      ['2024-03-11T04:59:59.999Z', 128], // +08: 03-11  -05: 03-10  UTC: 03-11
      ['2024-03-11T05:00:00.000Z', 256], // +08: 03-11  -05: 03-11  UTC: 03-11
    ];
    // the same around the first and last local midnights of April 2024
    const AROUND_APRIL: [string, number][] = [
      ['2024-03-31T15:59:59.999Z', 1], // +08: 03-31  -05: 03-31
      ['2024-03-31T16:00:00.000Z', 2], // +08: 04-01  -05: 03-31
      ['2024-04-01T04:59:59.999Z', 4], // +08: 04-01  -05: 03-31
      ['2024-04-01T05:00:00.000Z', 8], // +08: 04-01  -05: 04-01
      ['2024-04-30T15:59:59.999Z', 16], // +08: 04-30  -05: 04-30
      ['2024-04-30T16:00:00.000Z', 32], // +08: 05-01  -05: 04-30
      ['2024-05-01T04:59:59.999Z', 64], // +08: 05-01  -05: 04-30
      ['2024-05-01T05:00:00.000Z', 128], // +08: 05-01  -05: 05-01
    ];
    const U3_TOKEN = 41;
    let u3: TestUser;
    const tokens = (n: number) => ({ totalTokens: n, promptTokens: n, completionTokens: 0 });
    const cost = (n: number) => formatCost(BigInt(n) * 20_000n); // $2 per 1M tokens = 20,000 units of 1e-10 USD per token
    const days = (body: DailyRow[]) => body.map((d) => [d.day, d.totalTokens]);

    beforeAll(async () => {
      u3 = await addUser(t.http, root, 'u3');
      for (const [at, n] of [...AROUND_MARCH_10, ...AROUND_APRIL]) await recorder.record(usage(u3.id, U3_TOKEN, at, { ...tokens(n), model: 'tz-model' }));
    });

    it('/1/usages sums the local days of +08:00 and -05:00 (a day, and a range of days)', async () => {
      const sum = async (query: string) => (await t.http.get(`/1/usages?${query}&user_id=${u3.id}`).set(auth(root.token)).expect(200)).body;
      expect(await sum('from=2024-03-10&to=2024-03-11&tz=%2B08:00')).toEqual([{ cost: cost(110), userId: u3.id, totalUnit: 110 }]);
      expect(await sum('from=2024-03-10&to=2024-03-11&tz=-05:00')).toEqual([{ cost: cost(220), userId: u3.id, totalUnit: 220 }]);
      expect(await sum('from=2024-03-09&to=2024-03-10&tz=-05:00')).toEqual([{ cost: cost(35), userId: u3.id, totalUnit: 35 }]);
      expect(await sum('from=2024-03-11&to=2024-03-12&tz=%2B0800')).toEqual([{ cost: cost(400), userId: u3.id, totalUnit: 400 }]);
      expect(await sum('from=2024-03-10&to=2024-03-12&tz=%2B08:00')).toEqual([{ cost: cost(510), userId: u3.id, totalUnit: 510 }]);
      expect(await sum('from=2024-03-09&to=2024-03-11&tz=-05:00')).toEqual([{ cost: cost(255), userId: u3.id, totalUnit: 255 }]);
      // an unencoded + arrives as a space, and is read as +
      expect(await sum('from=2024-03-10&to=2024-03-11&tz=+08:00')).toEqual([{ cost: cost(110), userId: u3.id, totalUnit: 110 }]);
      expect(await sum('from=2024-03-10&to=2024-03-10&tz=%2B08:00')).toEqual([]);
    });

    it('a calendar month of local days: April 2024 on +08:00, -05:00 and UTC', async () => {
      const admin = async (tz: string) => (await t.http.get(`/1/usages?from=2024-04-01&to=2024-05-01${tz}`).set(auth(root.token)).expect(200)).body;
      expect(await admin('&tz=%2B08:00')).toEqual([{ cost: cost(30), userId: u3.id, totalUnit: 30 }]);
      expect(await admin('&tz=-05:00')).toEqual([{ cost: cost(120), userId: u3.id, totalUnit: 120 }]);
      expect(await admin('')).toEqual([{ cost: cost(60), userId: u3.id, totalUnit: 60 }]);
      const mine = await t.http.get('/1/me/usages?from=2024-04-01&to=2024-05-01&tz=%2B08:00').set(auth(u3.token)).expect(200);
      expect(mine.body).toEqual([{ cost: cost(30), userId: u3.id, totalUnit: 30 }]);
      const none = await t.http.get('/1/me/usages?from=2024-04-01&to=2024-05-01&tz=%2B08:00').set(auth(u2.token)).expect(200);
      expect(none.body).toEqual([{ cost: '0.000000', userId: u2.id, totalUnit: 0 }]);
    });

    it('/1/usages/daily gives one row per local day', async () => {
      const daily = async (tz: string) => days((await t.http.get(`/1/usages/daily?from=2024-03-09&to=2024-03-12&user_id=${u3.id}${tz}`).set(auth(root.token)).expect(200)).body);
      expect(await daily('&tz=%2B08:00')).toEqual([['2024-03-09', 1], ['2024-03-10', 110], ['2024-03-11', 400]]);
      expect(await daily('&tz=-05:00')).toEqual([['2024-03-09', 35], ['2024-03-10', 220], ['2024-03-11', 256]]);
      expect(await daily('')).toEqual([['2024-03-09', 3], ['2024-03-10', 124], ['2024-03-11', 384]]);
      const year = await t.http.get(`/1/usages/daily?from=2024-01-01&to=2025-01-01&user_id=${u3.id}&tz=-12:00`).set(auth(root.token)).expect(200);
      expect(year.body.reduce((sum: number, d: DailyRow) => sum + d.totalTokens, 0)).toBe(511 + 255);
      const april = await t.http.get('/1/usages/daily?from=2024-04-30&to=2024-05-02&tz=%2B08:00&model=tz-model').set(auth(u3.token)).expect(200);
      expect(april.body).toEqual([
        { day: '2024-04-30', model: 'tz-model', requests: 1, promptTokens: 16, completionTokens: 0, totalTokens: 16, cost: cost(16), quota: 16 },
        { day: '2024-05-01', model: 'tz-model', requests: 3, promptTokens: 224, completionTokens: 0, totalTokens: 224, cost: cost(224), quota: 224 },
      ]);
    });

    it('an offset with minutes is a 400 on the rollup reports naming the offsets that work, and still works on /logs', async () => {
      for (const path of ['/1/usages', '/1/me/usages', '/1/usages/daily']) {
        for (const tz of ['%2B05:30', '%2B05:45']) {
          const res = await t.http.get(`${path}?from=2024-03-10&to=2024-03-11&tz=${tz}`).set(auth(u3.token)).expect(400);
          expect(res.body.message).toMatch(/^tz: usage rollups are hourly, .*whole-hour offsets only .*e\.g\. \+08:00, -05:00/);
        }
      }
      const logs = await t.http.get('/1/usages/logs?from=2024-03-10&to=2024-03-11&tz=%2B05:30').set(auth(u3.token)).expect(200);
      expect(logs.body.items.map((r: { totalTokens: number }) => r.totalTokens)).toEqual([16, 8, 4, 64, 32]);
    });

    it('from without to runs up to the end of the current local day', async () => {
      const offset = 8 * 3_600_000;
      const localToday = Math.floor((Date.now() + offset) / 86_400_000) * 86_400_000;
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      await recorder.record(usage(u3.id, U3_TOKEN, new Date().toISOString(), tokens(1000)));
      await recorder.record(usage(u3.id, U3_TOKEN, new Date(localToday + 86_400_000 - offset + 60_000).toISOString(), tokens(5000))); // tomorrow, local
      const since = `from=${day(localToday - 3 * 86_400_000)}`;
      const open = await t.http.get(`/1/me/usages?${since}&tz=%2B08:00`).set(auth(u3.token)).expect(200);
      expect(open.body).toEqual([{ cost: cost(1000), userId: u3.id, totalUnit: 1000 }]);
      const closed = await t.http.get(`/1/me/usages?${since}&to=${day(localToday + 86_400_000)}&tz=%2B08:00`).set(auth(u3.token)).expect(200);
      expect(closed.body).toEqual(open.body);
      const daily = await t.http.get(`/1/usages/daily?${since}&tz=%2B08:00`).set(auth(u3.token)).expect(200);
      expect(days(daily.body)).toEqual([[day(localToday), 1000]]);
      await t.http.get(`/1/usages?from=${day(localToday - 400 * 86_400_000)}`).set(auth(root.token)).expect(400);
    });

    it('the migration back-fills usage_hourly from the raw records that exist; hours purged before it count on their UTC day', async () => {
      const ds = t.app.get(DataSource);
      const migration = new CreateUsageHourly1764000007000();
      const runner = ds.createQueryRunner();
      try {
        await migration.down(runner);
        // as if the retention purge had deleted u3's records before 2024-03-10 UTC before the upgrade
        await runner.query(`DELETE FROM usage_records WHERE user_id = ? AND created_at < ?`, [u3.id, '2024-03-10 00:00:00.000']);
        await migration.up(runner);
      } finally {
        await runner.release();
      }
      const hours = await ds.getRepository(UsageHourlyEntity).find({ where: { userId: u3.id }, order: { hourStart: 'ASC' } });
      expect(hours.slice(0, 4).map((h) => [h.hourStart, h.totalTokens, h.requests])).toEqual([
        ['2024-03-10 04', 32, 1],
        ['2024-03-10 05', 64, 1],
        ['2024-03-10 12', 4, 1],
        ['2024-03-10 15', 8, 1],
      ]);
      const daily = await t.http.get(`/1/usages/daily?from=2024-03-09&to=2024-03-12&tz=%2B08:00`).set(auth(u3.token)).expect(200);
      // the record of 03-09 16:00Z (local 03-10) has no hour row any more: it stays on its UTC day 03-09
      expect(days(daily.body)).toEqual([['2024-03-09', 3], ['2024-03-10', 108], ['2024-03-11', 400]]);
      const april = await t.http.get('/1/usages?from=2024-04-01&to=2024-05-01&tz=%2B08:00').set(auth(root.token)).expect(200);
      expect(april.body).toEqual([{ cost: cost(30), userId: u3.id, totalUnit: 30 }]);
    });
  });

  describe("opencatd's request (from/to dates, no tz) on a +08:00 deployment: USAGE_TZ=+08:00", () => {
    let local: TestApp;
    let owner: TestUser;

    beforeAll(async () => {
      local = await createTestApp(database(), { USAGE_TZ: '+08:00' });
      owner = await initRoot(local.http);
      const record = local.app.get(UsageRecorder);
      await record.record(usage(owner.id, ROOT_TOKEN, '2023-03-17T16:00:00.000Z')); // 2023-03-18 00:00 at +08:00
      await record.record(usage(owner.id, ROOT_TOKEN, '2023-04-17T16:00:00.000Z', { totalTokens: 7 })); // 2023-04-18 00:00 at +08:00
    });
    afterAll(async () => local?.close());

    it('GET /1/usages?from=2023-03-18&to=2023-04-18 counts the local days of USAGE_TZ; tz=Z asks for UTC days', async () => {
      const res = await local.http.get('/1/usages?from=2023-03-18&to=2023-04-18').set(auth(owner.token)).expect(200);
      expect(res.body).toEqual([{ cost: '0.000110', userId: owner.id, totalUnit: 55 }]);
      const utc = await local.http.get('/1/usages?from=2023-03-18&to=2023-04-18&tz=Z').set(auth(owner.token)).expect(200);
      expect(utc.body).toEqual([{ cost: '0.000014', userId: owner.id, totalUnit: 7 }]);
      const logs = await local.http.get('/1/usages/logs?from=2023-03-18&to=2023-04-18').set(auth(owner.token)).expect(200);
      expect(logs.body.items.map((r: { totalTokens: number }) => r.totalTokens)).toEqual([55]);
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
