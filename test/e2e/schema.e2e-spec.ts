import { DataSource } from 'typeorm';
import { buildSchemaToolOptions } from '../../src/database/data-source-options';
import { TestDatabase, testDatabases } from '../support/test-databases';

describe.each(testDatabases())('Schema (migrations vs entities) on %s', (_label, database) => {
  let db: TestDatabase;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    db = database();
    dataSource = await new DataSource(await buildSchemaToolOptions(await db.create())).initialize(); // runs every migration
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('every migration ran', async () => {
    expect(await dataSource!.showMigrations()).toBe(false);
  });

  it('the migrated schema is what the entities declare: `migration:generate` would find no change', async () => {
    const pending = await dataSource!.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('each unique column is backed by its named unique index', async () => {
    const uniques = dataSource!.entityMetadatas.flatMap((m) => m.indices.filter((i) => i.isUnique).map((i) => `${m.tableName}.${i.name}`));
    expect(uniques.sort()).toEqual([
      'quota_resets.uq_quota_resets_due',
      'sessions.uq_sessions_token_hash',
      'sso_apps.uq_sso_apps_name',
      'sso_links.uq_sso_links_app_subject',
      'sso_replay_claims.uq_sso_replay_claims_claim_key',
      'tokens.uq_tokens_key_hash',
      'upstream_keys.uq_upstream_keys_key_hash',
      'upstream_keys.uq_upstream_keys_name',
      'users.uq_users_name',
      'users.uq_users_token_hash',
    ]);
    const runner = dataSource!.createQueryRunner();
    try {
      for (const name of uniques) {
        const [table, index] = name.split('.');
        const loaded = await runner.getTable(table);
        expect(loaded?.indices.find((i) => i.name === index)?.isUnique).toBe(true);
      }
    } finally {
      await runner.release();
    }
  });
});
