import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * `usage_daily_user`: the per (day, user) rollup `GET /1/usages` reads (issue 5, fast at 1M records),
 * back-filled from `usage_daily` so existing data stays consistent.
 */
export class CreateUsageDailyUser1763773420000 implements MigrationInterface {
  name = 'CreateUsageDailyUser1763773420000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'usage_daily_user',
        columns: [
          { name: 'day', type: 'varchar', length: '10', isPrimary: true },
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'requests', type: 'integer', default: 0 },
          { name: 'prompt_tokens', type: 'bigint', default: 0 },
          { name: 'completion_tokens', type: 'bigint', default: 0 },
          { name: 'total_tokens', type: 'bigint', default: 0 },
          { name: 'cost_usd', type: 'decimal', precision: 24, scale: 10, default: 0 },
          { name: 'quota', type: 'bigint', default: 0 },
        ],
      }),
    );
    await queryRunner.createIndex('usage_daily_user', new TableIndex({ name: 'idx_usage_daily_user_user_day', columnNames: ['user_id', 'day'] }));
    await queryRunner.query(
      'INSERT INTO usage_daily_user (day, user_id, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd, quota) ' +
        'SELECT day, user_id, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), SUM(cost_usd), SUM(quota) ' +
        'FROM usage_daily GROUP BY day, user_id',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('usage_daily_user');
  }
}
