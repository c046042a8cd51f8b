import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * `usage_records (user_id, created_at)`: serves a user's date-range reads (`/1/usages/export`
 * and `/logs` with `user_id` + `from`/`to`) in (created_at, id) order without a sort.
 */
export class AddUsageUserCreatedIndex1763773410000 implements MigrationInterface {
  name = 'AddUsageUserCreatedIndex1763773410000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('usage_records', new TableIndex({ name: 'idx_usage_user_created', columnNames: ['user_id', 'created_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('usage_records', 'idx_usage_user_created');
  }
}
