import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { idColumn, timestampColumn } from '../migration-columns';

/** Usage records written by the relay, and their daily rollup. */
export class CreateUsages1763773400000 implements MigrationInterface {
  name = 'CreateUsages1763773400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'usage_records',
        columns: [
          idColumn(),
          { name: 'user_id', type: 'integer' },
          { name: 'token_id', type: 'integer' },
          { name: 'key_id', type: 'integer', isNullable: true },
          { name: 'model', type: 'varchar', length: '128' },
          { name: 'prompt_tokens', type: 'integer', default: 0 },
          { name: 'completion_tokens', type: 'integer', default: 0 },
          { name: 'total_tokens', type: 'integer', default: 0 },
          { name: 'cost_usd', type: 'decimal', precision: 20, scale: 10, default: 0 },
          { name: 'quota', type: 'bigint', default: 0 },
          { name: 'status_code', type: 'integer' },
          { name: 'is_stream', type: 'boolean', default: 0 },
          { name: 'latency_ms', type: 'integer', default: 0 },
          { name: 'ip', type: 'varchar', length: '64', default: "''" },
          { name: 'request_id', type: 'varchar', length: '128', default: "''" },
          timestampColumn(queryRunner, 'created_at'),
        ],
      }),
    );
    await queryRunner.createIndices('usage_records', [
      new TableIndex({ name: 'idx_usage_user_id', columnNames: ['user_id', 'id'] }),
      new TableIndex({ name: 'idx_usage_token_id', columnNames: ['token_id', 'id'] }),
      new TableIndex({ name: 'idx_usage_model_id', columnNames: ['model', 'id'] }),
      new TableIndex({ name: 'idx_usage_status_id', columnNames: ['status_code', 'id'] }),
      new TableIndex({ name: 'idx_usage_created_at', columnNames: ['created_at'] }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'usage_daily',
        columns: [
          { name: 'day', type: 'varchar', length: '10', isPrimary: true },
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
    await queryRunner.createIndex('usage_daily', new TableIndex({ name: 'idx_usage_daily_user_day', columnNames: ['user_id', 'day'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('usage_daily');
    await queryRunner.dropTable('usage_records');
  }
}
