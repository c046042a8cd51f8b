import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { idColumn } from '../migration-columns';

/** `change_events`: the shared change feed every instance polls (see ChangeFeed). */
export class CreateChangeEvents1764000004000 implements MigrationInterface {
  name = 'CreateChangeEvents1764000004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'change_events',
        columns: [
          idColumn(),
          { name: 'uid', type: 'varchar', length: '36' },
          { name: 'origin', type: 'varchar', length: '36' },
          { name: 'topic', type: 'varchar', length: '32' },
          { name: 'ref', type: 'varchar', length: '64', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createIndex('change_events', new TableIndex({ name: 'idx_change_events_created_at', columnNames: ['created_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('change_events');
  }
}
