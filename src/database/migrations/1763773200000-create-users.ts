import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { idColumn, timestampColumn } from '../migration-columns';

/** Users of seed 003: hashed access token, role, soft delete. */
export class CreateUsers1763773200000 implements MigrationInterface {
  name = 'CreateUsers1763773200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          idColumn(),
          { name: 'name', type: 'varchar', length: '64', isUnique: true },
          { name: 'token_hash', type: 'varchar', length: '64', isNullable: true, isUnique: true },
          { name: 'token_hint', type: 'varchar', length: '16' },
          { name: 'role', type: 'integer', default: 1 },
          { name: 'is_delete', type: 'boolean', default: false },
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
