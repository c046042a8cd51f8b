import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { idColumn } from '../migration-columns';

/**
 * One-time SSO token ids claimed by a login, shared by every instance on the database when
 * `REDIS_URL` is not set: `claim_key` (SHA-256 hex of app and token id) is unique, so a claim is one
 * INSERT that fails for a replay; `expires_at` (unix milliseconds) is when the row may be purged.
 */
export class CreateSsoReplayClaims1764000003000 implements MigrationInterface {
  name = 'CreateSsoReplayClaims1764000003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sso_replay_claims',
        columns: [idColumn(), { name: 'claim_key', type: 'varchar', length: '64' }, { name: 'expires_at', type: 'bigint' }],
      }),
    );
    await queryRunner.createIndices('sso_replay_claims', [
      new TableIndex({ name: 'uq_sso_replay_claims_claim_key', columnNames: ['claim_key'], isUnique: true }),
      new TableIndex({ name: 'idx_sso_replay_claims_expires_at', columnNames: ['expires_at'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sso_replay_claims');
  }
}
