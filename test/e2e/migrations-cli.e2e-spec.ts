import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { TestDatabase, testDatabases } from '../support/test-databases';

const root = resolve(__dirname, '../..');

describe.each(testDatabases())('npm run migration:run (the TypeORM CLI, ormconfig.ts) on %s', (_label, database) => {
  let db: TestDatabase;

  beforeAll(() => {
    db = database();
  });
  afterAll(() => db?.drop());

  it('runs every file of src/database/migrations, none listed by hand, and then finds nothing pending', async () => {
    const url = await db.create();
    const env = { ...process.env, DATABASE_URL: url };
    const run = await promisify(execFile)('npm', ['run', 'migration:run'], { cwd: root, env, timeout: 60_000 });
    expect(run.stdout).toContain('has been executed successfully');

    const files = readdirSync(join(root, 'src/database/migrations')).filter((file) => /^\d{13}-.+\.ts$/.test(file));
    const check = await new DataSource({ ...buildDataSourceOptions(url), migrationsRun: false }).initialize();
    try {
      const rows = (await check.query('SELECT timestamp FROM migrations ORDER BY timestamp')) as { timestamp: number | string }[];
      expect(rows.map((row) => String(row.timestamp))).toEqual(files.map((file) => file.slice(0, 13)).sort());
    } finally {
      await check.destroy();
    }

    const again = await promisify(execFile)('npm', ['run', 'migration:run'], { cwd: root, env, timeout: 60_000 });
    expect(again.stdout).toContain('No migrations are pending');
  });
});
