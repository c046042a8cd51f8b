import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A first password must be changed: `users.must_change_password` (1 while the password is an SSO
 * app's `initpwd`) and `sessions.password_change_only` (a session that may only change the password).
 * Every password set before this migration came from an app's `initpwd`, so those users must change it.
 */
export class AddPasswordChangeFlags1764000003300 implements MigrationInterface {
  name = 'AddPasswordChangeFlags1764000003300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('users', new TableColumn({ name: 'must_change_password', type: 'boolean', default: 0 }));
    await queryRunner.addColumn('sessions', new TableColumn({ name: 'password_change_only', type: 'boolean', default: 0 }));
    await queryRunner.query('UPDATE users SET must_change_password = 1 WHERE password_hash IS NOT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('sessions', 'password_change_only');
    await queryRunner.dropColumn('users', 'must_change_password');
  }
}
