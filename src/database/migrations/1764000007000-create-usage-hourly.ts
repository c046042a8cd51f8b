import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { isMysql } from '../migration-columns';

const DAY_MS = 86_400_000;

/**
 * `usage_hourly`: usage per (UTC hour, user, token, model), which lets the rollup reports answer
 * local days of whole-hour offsets (`?tz=+08:00`). Back-filled from the raw usage records that still
 * exist, one UTC day per statement (through the `created_at` index); hours whose records the
 * retention purge already deleted stay without rows, and the reports count those records on their
 * UTC day. A record without a token (`token_id` NULL) counts under token 0, as in `usage_daily`.
 * The hour key is the first 13 characters of `created_at` (`YYYY-MM-DD HH`, UTC), written with a
 * dialect function (raw SQL).
 */
export class CreateUsageHourly1764000007000 implements MigrationInterface {
  name = 'CreateUsageHourly1764000007000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'usage_hourly',
        columns: [
          { name: 'hour_start', type: 'varchar', length: '13', isPrimary: true },
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'token_id', type: 'integer', isPrimary: true },
          { name: 'model', type: 'varchar', length: '128', isPrimary: true },
          { name: 'requests', type: 'integer', default: 0 },
          { name: 'prompt_tokens', type: 'bigint', default: 0 },
          { name: 'completion_tokens', type: 'bigint', default: 0 },
          { name: 'total_tokens', type: 'bigint', default: 0 },
          { name: 'cost_usd', type: 'decimal', precision: 24, scale: 10, default: 0 },
          { name: 'quota', type: 'bigint', default: 0 },
        ],
      }),
    );
    await queryRunner.createIndex('usage_hourly', new TableIndex({ name: 'idx_usage_hourly_user_hour', columnNames: ['user_id', 'hour_start'] }));

    const mysql = isMysql(queryRunner);
    const [bounds] = await queryRunner.query(
      mysql
        ? "SELECT DATE_FORMAT(MIN(created_at), '%Y-%m-%d') AS first_day, DATE_FORMAT(MAX(created_at), '%Y-%m-%d') AS last_day FROM usage_records"
        : 'SELECT substr(MIN(created_at), 1, 10) AS first_day, substr(MAX(created_at), 1, 10) AS last_day FROM usage_records',
    );
    if (!bounds?.first_day) return;
    const hour = mysql ? "DATE_FORMAT(created_at, '%Y-%m-%d %H')" : 'substr(created_at, 1, 13)';
    // SQLite keeps cost_usd as REAL: sum integers of 1e-10 USD, so the hour rows are exact
    const cost = mysql ? 'SUM(cost_usd)' : 'ROUND(SUM(CAST(ROUND(cost_usd * 10000000000) AS INTEGER)) / 10000000000.0, 10)';
    const sql =
      'INSERT INTO usage_hourly (hour_start, user_id, token_id, model, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd, quota) ' +
      `SELECT ${hour}, user_id, COALESCE(token_id, 0), model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), ${cost}, SUM(quota) ` +
      `FROM usage_records WHERE created_at >= ? AND created_at < ? GROUP BY ${hour}, user_id, COALESCE(token_id, 0), model`;
    const last = Date.parse(`${bounds.last_day}T00:00:00.000Z`);
    for (let day = Date.parse(`${bounds.first_day}T00:00:00.000Z`); day <= last; day += DAY_MS) {
      await queryRunner.query(sql, [sqlDay(day), sqlDay(day + DAY_MS)]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('usage_hourly');
  }
}

/** Midnight UTC as `created_at` compares it on both dialects. */
function sqlDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}
