import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { idColumn } from '../migration-columns';

/** API tokens of seeds 000/001/002: hashed + encrypted key, quota, limits. */
export class CreateTokens1763773300000 implements MigrationInterface {
  name = 'CreateTokens1763773300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'tokens',
        columns: [
          idColumn(),
          { name: 'user_id', type: 'integer' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'key_hash', type: 'varchar', length: '64' },
          { name: 'key_ciphertext', type: 'varchar', length: '255' },
          { name: 'key_prefix', type: 'varchar', length: '8' },
          { name: 'key_suffix', type: 'varchar', length: '4' },
          { name: 'status', type: 'integer', default: 1 },
          { name: 'created_time', type: 'bigint' },
          { name: 'accessed_time', type: 'bigint', default: 0 },
          { name: 'expired_time', type: 'bigint', default: -1 },
          { name: 'remain_quota', type: 'bigint', default: 0 },
          { name: 'used_quota', type: 'bigint', default: 0 },
          { name: 'unlimited_quota', type: 'boolean', default: 0 },
          { name: 'model_limits_enabled', type: 'boolean', default: 0 },
          { name: 'model_limits', type: 'text' },
          { name: 'allow_ips', type: 'text' },
          { name: 'group', type: 'varchar', length: '255', default: "''" },
          { name: 'mj_image_mode', type: 'varchar', length: '16', default: "'default'" },
          { name: 'mj_custom_proxy', type: 'varchar', length: '1024', default: "''" },
          { name: 'selected_groups', type: 'text' },
        ],
      }),
    );
    await queryRunner.createIndices('tokens', [
      new TableIndex({ name: 'uq_tokens_key_hash', columnNames: ['key_hash'], isUnique: true }),
      new TableIndex({ name: 'idx_tokens_user_id', columnNames: ['user_id', 'id'] }),
      new TableIndex({ name: 'idx_tokens_user_prefix', columnNames: ['user_id', 'key_prefix'] }),
      new TableIndex({ name: 'idx_tokens_user_suffix', columnNames: ['user_id', 'key_suffix'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('tokens');
  }
}
