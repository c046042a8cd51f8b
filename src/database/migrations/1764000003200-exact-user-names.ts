import { MigrationInterface, QueryRunner } from 'typeorm';
import { isMysql } from '../migration-columns';

/**
 * User names compare exactly: on MySQL/MariaDB `users.name` gets the binary collation `utf8mb4_bin`
 * (the database default `utf8mb4_unicode_ci` made `ALICE`, `Alice` and `Alicé` the same name, for
 * lookups and for the unique index `uq_users_name`, which is kept). SQLite compares bytes already.
 * Names are trimmed on input, so the collation's trailing-space padding cannot join two names.
 */
export class ExactUserNames1764000003200 implements MigrationInterface {
  name = 'ExactUserNames1764000003200';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) await this.setCollation(queryRunner, 'utf8mb4_bin');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (isMysql(queryRunner)) await this.setCollation(queryRunner, undefined); // the table's default
  }

  /** Changes only the collation of `users.name`, from the loaded column (so its unique index stays as it is). */
  private async setCollation(queryRunner: QueryRunner, collation: string | undefined): Promise<void> {
    const table = (await queryRunner.getTable('users'))!;
    const column = table.findColumnByName('name')!;
    const changed = column.clone();
    changed.charset = collation ? 'utf8mb4' : undefined;
    changed.collation = collation;
    await queryRunner.changeColumn(table, column, changed);
  }
}
