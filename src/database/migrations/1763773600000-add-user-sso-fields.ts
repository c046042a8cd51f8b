import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { idColumn, timestampColumn } from '../migration-columns';

/**
 * What SSO needs from users: `display_name`, `email`, an optional bcrypt
 * `password_hash`, `roles` (JSON array of role names), `status` (1 enabled, 2 disabled);
 * and `sessions`: session tokens (HMAC-SHA-256 only) with an expiry in unix seconds.
 */
export class AddUserSsoFields1763773600000 implements MigrationInterface {
  name = 'AddUserSsoFields1763773600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'display_name', type: 'varchar', length: '128', default: "''" }),
      new TableColumn({ name: 'email', type: 'varchar', length: '255', default: "''" }),
      new TableColumn({ name: 'password_hash', type: 'varchar', length: '100', isNullable: true }),
      new TableColumn({ name: 'roles', type: 'text', isNullable: true }),
      new TableColumn({ name: 'status', type: 'integer', default: 1 }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          idColumn(),
          { name: 'user_id', type: 'integer' },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'via', type: 'varchar', length: '16' },
          { name: 'app_name', type: 'varchar', length: '64', default: "''" },
          { name: 'expires_at', type: 'bigint' },
          timestampColumn(queryRunner, 'created_at'),
        ],
      }),
    );
    await queryRunner.createIndices('sessions', [
      new TableIndex({ name: 'uq_sessions_token_hash', columnNames: ['token_hash'], isUnique: true }),
      new TableIndex({ name: 'idx_sessions_user_id', columnNames: ['user_id'] }),
      new TableIndex({ name: 'idx_sessions_expires_at', columnNames: ['expires_at'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sessions');
    for (const column of ['status', 'roles', 'password_hash', 'email', 'display_name']) await queryRunner.dropColumn('users', column);
  }
}
