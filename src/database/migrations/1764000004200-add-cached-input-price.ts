import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** `model_prices.cached_input_micro`: the price of prompt tokens served from the provider's cache (NULL = the input price). */
export class AddCachedInputPrice1764000004200 implements MigrationInterface {
  name = 'AddCachedInputPrice1764000004200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('model_prices', new TableColumn({ name: 'cached_input_micro', type: 'bigint', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('model_prices', 'cached_input_micro');
  }
}
