import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { timestampColumn } from '../migration-columns';

/**
 * Default prices in USD per 1M input / output tokens (OpenAI list prices). `gpt-3.5-turbo` is
 * 2 / 2 so that seed 003's figure holds for any split: 55 tokens cost $0.000110.
 */
const DEFAULT_PRICES: [string, string, string][] = [
  ['gpt-3.5-turbo', '2', '2'],
  ['gpt-3.5-turbo-instruct', '1.5', '2'],
  ['gpt-4', '30', '60'],
  ['gpt-4-turbo', '10', '30'],
  ['gpt-4o', '2.5', '10'],
  ['gpt-4o-mini', '0.15', '0.6'],
  ['gpt-4.1', '2', '8'],
  ['gpt-4.1-mini', '0.4', '1.6'],
  ['gpt-4.1-nano', '0.1', '0.4'],
  ['o1', '15', '60'],
  ['o1-mini', '1.1', '4.4'],
  ['o3', '2', '8'],
  ['o3-mini', '1.1', '4.4'],
  ['o4-mini', '1.1', '4.4'],
  ['text-embedding-3-small', '0.02', '0'],
  ['text-embedding-3-large', '0.13', '0'],
  ['text-embedding-ada-002', '0.1', '0'],
];

/** Model prices, with the defaults above. */
export class CreateModelPrices1763773500100 implements MigrationInterface {
  name = 'CreateModelPrices1763773500100';

  async up(queryRunner: QueryRunner): Promise<void> {
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
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    for (const [model, input, output] of DEFAULT_PRICES) {
      await queryRunner.query('INSERT INTO model_prices (model, input_per_million, output_per_million, updated_at) VALUES (?, ?, ?, ?)', [
        model,
        input,
        output,
        now,
      ]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('model_prices');
  }
}
