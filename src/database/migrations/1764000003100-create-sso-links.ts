import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';
import { idColumn, isMysql, timestampColumn } from '../migration-columns';

/**
 * Which users an SSO app may sign in: `(app_id, subject)` is unique, `subject` is the user name
 * the app's JWT carries (compared exactly: a binary collation on MySQL; SQLite compares bytes).
 *
 * Users made by SSO before links existed have no access token (`token_hash` NULL); each is linked
 * to the apps it has a session from, so they keep signing in. Any other account needs an admin's link.
 */
export class CreateSsoLinks1764000003100 implements MigrationInterface {
  name = 'CreateSsoLinks1764000003100';

  async up(queryRunner: QueryRunner): Promise<void> {
    const subject: TableColumnOptions = { name: 'subject', type: 'varchar', length: '64' };
    if (isMysql(queryRunner)) Object.assign(subject, { charset: 'utf8mb4', collation: 'utf8mb4_bin' });
    await queryRunner.createTable(
      new Table({
        name: 'sso_links',
        columns: [idColumn(), { name: 'app_id', type: 'integer' }, subject, { name: 'user_id', type: 'integer' }, timestampColumn(queryRunner, 'created_at')],
      }),
    );
    await queryRunner.createIndex('sso_links', new TableIndex({ name: 'uq_sso_links_app_subject', columnNames: ['app_id', 'subject'], isUnique: true }));
    await queryRunner.query(
      `INSERT INTO sso_links (app_id, subject, user_id, created_at)
       SELECT DISTINCT a.id, u.name, u.id, ? FROM sessions s
       JOIN users u ON u.id = s.user_id
       JOIN sso_apps a ON a.name = s.app_name
       WHERE s.via = 'sso' AND u.token_hash IS NULL AND u.is_delete = 0`,
      [new Date().toISOString().slice(0, 23).replace('T', ' ')],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sso_links');
  }
}
