import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `usage_records.token_id` may be NULL: a request relayed with a user's own access token (seed 003's
 * team flow) has no API token. The rollups keep 0 for such requests. The column is changed from
 * its loaded definition, so that its index `idx_usage_token_id` stays as it is.
 */
export class NullableUsageToken1764000004300 implements MigrationInterface {
  name = 'NullableUsageToken1764000004300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.setNullable(queryRunner, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('UPDATE usage_records SET token_id = 0 WHERE token_id IS NULL');
    await this.setNullable(queryRunner, false);
  }

  private async setNullable(queryRunner: QueryRunner, nullable: boolean): Promise<void> {
    const table = (await queryRunner.getTable('usage_records'))!;
    const column = table.findColumnByName('token_id')!;
    const changed = column.clone();
    changed.isNullable = nullable;
    await queryRunner.changeColumn(table, column, changed);
  }
}
