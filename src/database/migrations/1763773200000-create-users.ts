import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
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
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'token_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'token_hint', type: 'varchar', length: '16' },
          { name: 'role', type: 'integer', default: 1 },
          { name: 'is_delete', type: 'boolean', default: 0 },
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
      }),
    );
    await queryRunner.createIndices('users', [
      new TableIndex({ name: 'uq_users_name', columnNames: ['name'], isUnique: true }),
      new TableIndex({ name: 'uq_users_token_hash', columnNames: ['token_hash'], isUnique: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
