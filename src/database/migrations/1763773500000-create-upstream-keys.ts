import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { idColumn, timestampColumn } from '../migration-columns';

/** Upstream provider keys of seed 003: encrypted key, routing (group, priority, weight), status. */
export class CreateUpstreamKeys1763773500000 implements MigrationInterface {
  name = 'CreateUpstreamKeys1763773500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'upstream_keys',
        columns: [
          idColumn(),
          { name: 'name', type: 'varchar', length: '128', default: "''" },
          { name: 'key_ciphertext', type: 'varchar', length: '2048' },
          { name: 'key_hint', type: 'varchar', length: '16' },
          { name: 'api_type', type: 'varchar', length: '32', default: "'openai'" },
          { name: 'endpoint', type: 'varchar', length: '1024' },
          { name: 'api_version', type: 'varchar', length: '64', default: "''" },
          { name: 'deployments', type: 'text' },
          { name: 'models', type: 'text' },
          { name: 'group', type: 'varchar', length: '64', default: "'default'" },
          { name: 'priority', type: 'integer', default: 0 },
          { name: 'weight', type: 'integer', default: 1 },
          { name: 'status', type: 'integer', default: 1 },
          { name: 'last_error', type: 'varchar', length: '1024', default: "''" },
          { name: 'last_used_at', type: 'bigint', default: 0 },
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
      }),
    );
    await queryRunner.createIndex('upstream_keys', new TableIndex({ name: 'idx_upstream_keys_group', columnNames: ['group', 'status'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('upstream_keys');
  }
}
