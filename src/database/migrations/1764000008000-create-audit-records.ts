import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { idColumn, timestampColumn } from '../migration-columns';

/** `audit_records`: the audit log (see AuditRecordEntity), newest-first pages through (created_at, id). */
export class CreateAuditRecords1764000008000 implements MigrationInterface {
  name = 'CreateAuditRecords1764000008000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_records',
        columns: [
          idColumn(),
          timestampColumn(queryRunner, 'created_at'),
          { name: 'actor_id', type: 'integer', isNullable: true },
          { name: 'actor_role', type: 'integer', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', default: "''" },
          { name: 'request_id', type: 'varchar', length: '128', default: "''" },
          { name: 'action', type: 'varchar', length: '32' },
          { name: 'target_type', type: 'varchar', length: '32' },
          { name: 'target_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'changes', type: 'text', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndices('audit_records', [
      new TableIndex({ name: 'idx_audit_records_created_id', columnNames: ['created_at', 'id'] }),
      new TableIndex({ name: 'idx_audit_records_actor', columnNames: ['actor_id'] }),
      new TableIndex({ name: 'idx_audit_records_action', columnNames: ['action'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_records');
  }
}
