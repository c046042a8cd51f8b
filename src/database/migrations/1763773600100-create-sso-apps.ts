import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { idColumn, timestampColumn } from '../migration-columns';

/** SSO token apps of seed 004: the JWT issuer's secret or public key is stored AES-256-GCM encrypted. */
export class CreateSsoApps1763773600100 implements MigrationInterface {
  name = 'CreateSsoApps1763773600100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sso_apps',
        columns: [
          idColumn(),
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'token_name', type: 'varchar', length: '64' },
          { name: 'algorithm', type: 'varchar', length: '8' },
          { name: 'secret_ciphertext', type: 'text' },
          { name: 'expire', type: 'integer' },
          { name: 'fieldmap', type: 'text' },
          { name: 'enabled', type: 'boolean', default: 1 },
          { name: 'init_user', type: 'boolean', default: 0 },
          { name: 'init_roles', type: 'text' },
          { name: 'initpwd_hash', type: 'varchar', length: '100', isNullable: true },
          { name: 'allow_admin_roles', type: 'boolean', default: 0 },
          { name: 'issuer', type: 'varchar', length: '255', isNullable: true },
          { name: 'audience', type: 'varchar', length: '255', isNullable: true },
          { name: 'clock_tolerance', type: 'integer', default: 60 },
          { name: 'creator_id', type: 'integer' },
          timestampColumn(queryRunner, 'created_at'),
          timestampColumn(queryRunner, 'updated_at'),
        ],
      }),
    );
    await queryRunner.createIndex('sso_apps', new TableIndex({ name: 'uq_sso_apps_name', columnNames: ['name'], isUnique: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sso_apps');
  }
}
