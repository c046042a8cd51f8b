import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { MIGRATIONS } from '../../src/database/migrations';
import { StorePricesAsMicroUsd1764000001000 } from '../../src/database/migrations/1764000001000-store-prices-as-micro-usd';
import { captureStdout } from '../support/log-capture';
import { auth, createTestApp, TestApp } from '../support/test-app';
import { TestDatabase, testDatabases } from '../support/test-databases';
import { initRoot, TestUser } from '../support/users.builder';

type Price = { model: string; input: string; output: string };

describe.each(testDatabases())('Model prices are stored exactly and a bad one never stops the app, on %s', (_label, database) => {
  // The request logger is one per process and keeps the level of the first app: every app here logs at info, captured.
  let logs: ReturnType<typeof captureStdout>;
  beforeAll(() => {
    logs = captureStdout();
  });
  afterAll(() => logs.stop());

  describe('through the API', () => {
    let t: TestApp;
    let root: TestUser;

    beforeAll(async () => {
      t = await createTestApp(database(), { LOG_LEVEL: 'info' });
      root = await initRoot(t.http);
    });
    afterAll(async () => t?.close());

    it('PUT /1/prices keeps every place of the smallest and the largest price, as sent', async () => {
      const prices = [
        { model: 'top', input: '1000000', output: '999999.999999' },
        { model: 'tiny', input: '0.000001', output: '123456.654321' },
      ];
      const put = await t.http.put('/1/prices').set(auth(root.token)).send({ prices }).expect(200);
      const list = (await t.http.get('/1/prices').set(auth(root.token)).expect(200)).body as Price[];
      for (const body of [put.body as Price[], list]) {
        expect(body.filter((p) => p.model === 'top' || p.model === 'tiny').map(({ model, input, output }) => ({ model, input, output }))).toEqual([prices[1], prices[0]]);
      }
    });

    it('a price above 1,000,000 USD per 1M tokens is a 400 naming the field, and the app keeps serving', async () => {
      const poison = await t.http
        .put('/1/prices')
        .set(auth(root.token))
        .send({ prices: [{ model: 'poison', input: '999999999999.999999', output: '1' }] })
        .expect(400);
      expect(poison.body.message).toMatch(/^prices\.0\.input must be a number of USD per 1M tokens from 0 to 1000000/);
      const over = await t.http
        .put('/1/prices')
        .set(auth(root.token))
        .send({ prices: [{ model: 'poison', input: '1', output: 1000000.000001 }] })
        .expect(400);
      expect(over.body.message).toMatch(/^prices\.0\.output /);
      const list = (await t.http.get('/1/prices').set(auth(root.token)).expect(200)).body as Price[];
      expect(list.map((p) => p.model)).not.toContain('poison');
    });
  });

  it('the migration carries old DECIMAL prices over exactly; a row out of range is logged and skipped, and the app starts', async () => {
    const db = database();
    const url = await db.create();
    const before = new DataSource({ ...buildDataSourceOptions(url), migrations: MIGRATIONS.slice(0, MIGRATIONS.indexOf(StorePricesAsMicroUsd1764000001000)) });
    await before.initialize();
    const insert = 'INSERT INTO model_prices (model, input_per_million, output_per_million, updated_at) VALUES (?, ?, ?, ?)';
    // On SQLite this is stored as the float 1e12 (what PUT /1/prices wrote before prices were integers).
    await before.query(insert, ['poison', '999999999999.999999', '1', '2025-01-02 03:04:05.678']);
    await before.query(insert, ['odd', '0.15', '0.000001', '2025-01-02 03:04:05.678']);
    await before.destroy();

    let t: TestApp | undefined;
    try {
      t = await createTestApp({ ...db, create: async () => url }, { LOG_LEVEL: 'info' });
      const root = await initRoot(t.http);
      const list = (await t.http.get('/1/prices').set(auth(root.token)).expect(200)).body as (Price & { updatedAt: string })[];
      expect(list.find((p) => p.model === 'odd')).toEqual({ model: 'odd', input: '0.15', output: '0.000001', cached_input: null, updatedAt: '2025-01-02T03:04:05.678Z' });
      expect(list.find((p) => p.model === 'gpt-4o')).toMatchObject({ input: '2.5', output: '10' });
      expect(list.find((p) => p.model === 'gpt-4o-mini')).toMatchObject({ input: '0.15', output: '0.6' });
      expect(list.map((p) => p.model)).not.toContain('poison');
      expect(logs.text()).toContain('model_prices row \\"poison\\" skipped');
    } finally {
      if (t) await t.close();
      else await db.drop();
    }
  });
});
