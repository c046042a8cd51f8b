import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { timestampColumn } from '../migration-columns';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/**
 * A price as the DECIMAL(20,6) columns held it (a string from MySQL; a number from SQLite, which
 * stored it as a float) → integer micro-USD per 1M tokens as a digit string. Values above the
 * app's range are carried over exactly; the app logs and skips them at start.
 * @throws Error naming the model when the value is not a non-negative number (only a hand-edited row).
 */
function toMicro(model: string, value: unknown): string {
  const text = typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < 1e21 ? value.toFixed(6) : String(value);
  const match = /^(\d+)(?:\.(\d{1,6})0*)?$/.exec(text);
  const micro = match ? BigInt(match[1]) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0')) : -1n;
  if (micro < 0n || micro > MAX_BIGINT) throw new Error(`model_prices: the price ${text} of model "${model}" is not a non-negative decimal with at most 6 places`);
  return micro.toString();
}

/** Micro-USD per 1M tokens → the decimal string the old columns take (`2500000` → `"2.500000"`). */
function toDecimal(micro: unknown): string {
  const value = BigInt(String(micro));
  return `${value / 1_000_000n}.${(value % 1_000_000n).toString().padStart(6, '0')}`;
}

/**
 * Model prices move from DECIMAL(20,6) USD per 1M tokens to BIGINT micro-USD per 1M tokens
 * (`input_micro`, `output_micro`): SQLite keeps a DECIMAL as a float, so a price of 12 digits and
 * 6 places came back rounded and no longer read as a price. Every row is carried over exactly.
 */
export class StorePricesAsMicroUsd1764000001000 implements MigrationInterface {
  name = 'StorePricesAsMicroUsd1764000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.renameTable('model_prices', 'model_prices_decimal');
    await queryRunner.createTable(
      new Table({
        name: 'model_prices',
        columns: [
          { name: 'model', type: 'varchar', length: '128', isPrimary: true },
          { name: 'input_micro', type: 'bigint' },
          { name: 'output_micro', type: 'bigint' },
          timestampColumn(queryRunner, 'updated_at'),
        ],
      }),
    );
    const rows: { model: string; input: unknown; output: unknown }[] = await queryRunner.query(
      'SELECT model, input_per_million AS input, output_per_million AS output FROM model_prices_decimal',
    );
    for (const row of rows) {
      await queryRunner.query(
        'INSERT INTO model_prices (model, input_micro, output_micro, updated_at) SELECT model, ?, ?, updated_at FROM model_prices_decimal WHERE model = ?',
        [toMicro(row.model, row.input), toMicro(row.model, row.output), row.model],
      );
    }
    await queryRunner.dropTable('model_prices_decimal');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.renameTable('model_prices', 'model_prices_micro');
    await queryRunner.createTable(
      new Table({
        name: 'model_prices',
        columns: [
          { name: 'model', type: 'varchar', length: '128', isPrimary: true },
          { name: 'input_per_million', type: 'decimal', precision: 20, scale: 6 },
          { name: 'output_per_million', type: 'decimal', precision: 20, scale: 6 },
          timestampColumn(queryRunner, 'updated_at'),
        ],
      }),
    );
    const rows: { model: string; input: unknown; output: unknown }[] = await queryRunner.query('SELECT model, input_micro AS input, output_micro AS output FROM model_prices_micro');
    for (const row of rows) {
      await queryRunner.query(
        'INSERT INTO model_prices (model, input_per_million, output_per_million, updated_at) SELECT model, ?, ?, updated_at FROM model_prices_micro WHERE model = ?',
        [toDecimal(row.input), toDecimal(row.output), row.model],
      );
    }
    await queryRunner.dropTable('model_prices_micro');
  }
}
