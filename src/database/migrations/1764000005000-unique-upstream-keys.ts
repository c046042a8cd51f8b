import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { CryptoService } from '../../common/crypto/crypto.service';
import type { EnvironmentVariables } from '../../config/env.validation';
import { resolveMasterKey } from '../../config/master-key';
import { isMysql } from '../migration-columns';

const NAME_LENGTH = 128;

/**
 * Upstream key names and key values are unique, as in opencatd (`keys.name` and `keys.key` are
 * `unique` there):
 * - `upstream_keys.name` becomes nullable: an unnamed key (`''`) is NULL, so unnamed keys do not
 *   collide; on MySQL/MariaDB it gets the binary collation `utf8mb4_bin` (names compare exactly,
 *   as on SQLite). A later key whose name an earlier one holds is renamed `<name>-<id>`.
 * - `upstream_keys.key_hash`: HMAC-SHA-256 of the key under the master key (`TOLLGATE_SECRET`, or
 *   the embedded default's `./data/secret.key`), filled here for every row. A key that an earlier
 *   row holds too, or that does not decrypt with this master key, keeps NULL (logged by id).
 * Both get a unique index (`uq_upstream_keys_name`, `uq_upstream_keys_key_hash`).
 */
export class UniqueUpstreamKeys1764000005000 implements MigrationInterface {
  name = 'UniqueUpstreamKeys1764000005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const logger = new Logger('Migration');
    await queryRunner.addColumn('upstream_keys', new TableColumn({ name: 'key_hash', type: 'varchar', length: '64', isNullable: true }));
    await this.changeName(queryRunner, true);
    await queryRunner.query("UPDATE upstream_keys SET name = NULL WHERE name = ''");

    const rows: { id: number; name: string | null; key_ciphertext: string }[] = await queryRunner.query(
      'SELECT id, name, key_ciphertext FROM upstream_keys ORDER BY id',
    );
    const names = new Set(rows.map((r) => r.name).filter((n): n is string => n !== null));
    const kept = new Set<string>();
    for (const row of rows) {
      if (row.name === null) continue;
      if (!kept.has(row.name)) {
        kept.add(row.name);
        continue;
      }
      let renamed = `${row.name.slice(0, NAME_LENGTH - String(row.id).length - 1)}-${row.id}`;
      for (let n = 2; names.has(renamed); n++) renamed = `${row.name.slice(0, NAME_LENGTH - String(row.id).length - String(n).length - 2)}-${row.id}-${n}`;
      names.add(renamed);
      kept.add(renamed);
      await queryRunner.query('UPDATE upstream_keys SET name = ? WHERE id = ?', [renamed, row.id]);
      logger.warn(`upstream key ${row.id}: its name is taken by an earlier key; renamed "${renamed}"`);
    }

    if (rows.length > 0) {
      const crypto = new CryptoService(
        resolveMasterKey({
          TOLLGATE_SECRET: process.env.TOLLGATE_SECRET,
          NODE_ENV: process.env.NODE_ENV,
          DATABASE_URL: process.env.DATABASE_URL,
        } as EnvironmentVariables).secret,
      );
      const hashes = new Set<string>();
      for (const row of rows) {
        let hash: string;
        try {
          hash = crypto.hash(crypto.decrypt(row.key_ciphertext));
        } catch {
          logger.warn(`upstream key ${row.id}: does not decrypt with this master key; key_hash left empty`);
          continue;
        }
        if (hashes.has(hash)) {
          logger.warn(`upstream key ${row.id}: an earlier key holds the same secret; key_hash left empty`);
          continue;
        }
        hashes.add(hash);
        await queryRunner.query('UPDATE upstream_keys SET key_hash = ? WHERE id = ?', [hash, row.id]);
      }
    }

    await queryRunner.createIndices('upstream_keys', [
      new TableIndex({ name: 'uq_upstream_keys_name', columnNames: ['name'], isUnique: true }),
      new TableIndex({ name: 'uq_upstream_keys_key_hash', columnNames: ['key_hash'], isUnique: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('upstream_keys', 'uq_upstream_keys_key_hash');
    await queryRunner.dropIndex('upstream_keys', 'uq_upstream_keys_name');
    await queryRunner.query("UPDATE upstream_keys SET name = '' WHERE name IS NULL");
    await this.changeName(queryRunner, false);
    await queryRunner.dropColumn('upstream_keys', 'key_hash');
  }

  /** `name` nullable without default (and `utf8mb4_bin` on MySQL), or back to `NOT NULL DEFAULT ''`. */
  private async changeName(queryRunner: QueryRunner, unique: boolean): Promise<void> {
    const table = (await queryRunner.getTable('upstream_keys'))!;
    const column = table.findColumnByName('name')!;
    const changed = column.clone();
    changed.isNullable = unique;
    changed.default = unique ? undefined : "''";
    if (isMysql(queryRunner)) {
      changed.charset = unique ? 'utf8mb4' : undefined;
      changed.collation = unique ? 'utf8mb4_bin' : undefined;
    }
    await queryRunner.changeColumn(table, column, changed);
  }
}
