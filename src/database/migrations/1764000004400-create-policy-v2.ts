import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { idColumn } from '../migration-columns';

/** The policy columns tokens and users share: rate limits and a periodic quota reset. */
function policyColumns(): TableColumn[] {
  return [
    new TableColumn({ name: 'rpm_limit', type: 'integer', isNullable: true }),
    new TableColumn({ name: 'tpm_limit', type: 'integer', isNullable: true }),
    new TableColumn({ name: 'max_parallel_requests', type: 'integer', isNullable: true }),
    new TableColumn({ name: 'quota_reset_period', type: 'varchar', length: '8', default: "'never'" }),
    new TableColumn({ name: 'quota_reset_amount', type: 'bigint', isNullable: true }),
    new TableColumn({ name: 'quota_reset_tz', type: 'varchar', length: '6', default: "'+00:00'" }),
    new TableColumn({ name: 'next_reset_at', type: 'bigint', isNullable: true }),
  ];
}

/**
 * Policy v2: per token and per user rate limits (`rpm_limit`, `tpm_limit`, `max_parallel_requests`)
 * and periodic quota resets (`quota_reset_*`, `next_reset_at`, each reset recorded in
 * `quota_resets`); a key rotated with a grace period keeps working until
 * `previous_key_expires_at` (`previous_token_*` for a user's access token).
 */
export class CreatePolicyV21764000004400 implements MigrationInterface {
  name = 'CreatePolicyV21764000004400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('tokens', [
      ...policyColumns(),
      new TableColumn({ name: 'previous_key_hash', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'previous_key_expires_at', type: 'bigint', isNullable: true }),
    ]);
    await queryRunner.addColumns('users', [
      ...policyColumns(),
      new TableColumn({ name: 'previous_token_hash', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'previous_token_expires_at', type: 'bigint', isNullable: true }),
    ]);
    await queryRunner.createIndices('tokens', [
      new TableIndex({ name: 'idx_tokens_previous_key_hash', columnNames: ['previous_key_hash'] }),
      new TableIndex({ name: 'idx_tokens_next_reset_at', columnNames: ['next_reset_at'] }),
    ]);
    await queryRunner.createIndices('users', [
      new TableIndex({ name: 'idx_users_previous_token_hash', columnNames: ['previous_token_hash'] }),
      new TableIndex({ name: 'idx_users_next_reset_at', columnNames: ['next_reset_at'] }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'quota_resets',
        columns: [
          idColumn(),
          { name: 'subject', type: 'varchar', length: '8' },
          { name: 'subject_id', type: 'integer' },
          { name: 'period', type: 'varchar', length: '8' },
          { name: 'due_at', type: 'bigint' },
          { name: 'done_at', type: 'bigint' },
          { name: 'previous', type: 'bigint', isNullable: true },
          { name: 'amount', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createIndices('quota_resets', [
      new TableIndex({ name: 'uq_quota_resets_due', columnNames: ['subject', 'subject_id', 'due_at'], isUnique: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('quota_resets');
    for (const table of ['tokens', 'users']) {
      const previous = table === 'tokens' ? ['previous_key_hash', 'previous_key_expires_at'] : ['previous_token_hash', 'previous_token_expires_at'];
      await queryRunner.dropIndex(table, `idx_${table}_${table === 'tokens' ? 'previous_key_hash' : 'previous_token_hash'}`);
      await queryRunner.dropIndex(table, `idx_${table}_next_reset_at`);
      for (const column of [...previous, ...policyColumns().map((c) => c.name)]) await queryRunner.dropColumn(table, column);
    }
  }
}
