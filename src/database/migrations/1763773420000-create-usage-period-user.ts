import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { isMysql } from '../migration-columns';

/**
 * `usage_period_user`: per-user rollups by day (`D`), ISO week (`W`, Monday start) and month (`M`)
 * that `GET /1/usages` reads (fast at 1M records), back-filled from `usage_daily` so
 * existing data stays consistent. Week/month starts need dialect date functions (raw SQL).
 */
export class CreateUsagePeriodUser1763773420000 implements MigrationInterface {
  name = 'CreateUsagePeriodUser1763773420000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'usage_period_user',
        columns: [
          { name: 'grain', type: 'varchar', length: '1', isPrimary: true },
          { name: 'period_start', type: 'varchar', length: '10', isPrimary: true },
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
    await queryRunner.createIndex('usage_period_user', new TableIndex({ name: 'idx_usage_period_user_user', columnNames: ['user_id', 'grain', 'period_start'] }));
    const starts = isMysql(queryRunner)
      ? { D: 'day', W: "DATE_FORMAT(DATE_SUB(day, INTERVAL WEEKDAY(day) DAY), '%Y-%m-%d')", M: "CONCAT(LEFT(day, 7), '-01')" }
      : { D: 'day', W: "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')", M: "substr(day, 1, 7) || '-01'" };
    for (const [grain, start] of Object.entries(starts)) {
      await queryRunner.query(
        'INSERT INTO usage_period_user (grain, period_start, user_id, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd, quota) ' +
          `SELECT '${grain}', ${start}, user_id, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), SUM(cost_usd), SUM(quota) ` +
          `FROM usage_daily GROUP BY ${start}, user_id`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('usage_period_user');
  }
}
