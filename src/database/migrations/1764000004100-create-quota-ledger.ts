import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { idColumn } from '../migration-columns';

/**
 * The quota ledger: a user's budget (`quota` remaining, NULL = unlimited; `used_quota`,
 * `request_count`; the `groups` it may use), per-instance quota leases (`quota_leases`), and the
 * cached and reasoning token counts of each usage record.
 */
export class CreateQuotaLedger1764000004100 implements MigrationInterface {
  name = 'CreateQuotaLedger1764000004100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'quota', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'used_quota', type: 'bigint', default: 0 }),
      new TableColumn({ name: 'request_count', type: 'bigint', default: 0 }),
      new TableColumn({ name: 'groups', type: 'varchar', length: '255', default: "'default'" }),
    ]);
    await queryRunner.addColumns('usage_records', [
      new TableColumn({ name: 'cached_tokens', type: 'integer', default: 0 }),
      new TableColumn({ name: 'reasoning_tokens', type: 'integer', default: 0 }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'quota_leases',
        columns: [
          idColumn(),
          { name: 'instance_id', type: 'varchar', length: '36' },
          { name: 'subject', type: 'varchar', length: '8' },
          { name: 'subject_id', type: 'integer' },
          { name: 'amount', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createIndices('quota_leases', [
      new TableIndex({ name: 'idx_quota_leases_subject', columnNames: ['subject', 'subject_id'] }),
      new TableIndex({ name: 'idx_quota_leases_instance', columnNames: ['instance_id'] }),
      new TableIndex({ name: 'idx_quota_leases_expires_at', columnNames: ['expires_at'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('quota_leases');
    for (const column of ['reasoning_tokens', 'cached_tokens']) await queryRunner.dropColumn('usage_records', column);
    for (const column of ['groups', 'request_count', 'used_quota', 'quota']) await queryRunner.dropColumn('users', column);
  }
}
