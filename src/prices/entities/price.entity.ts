import { Column, Entity, PrimaryColumn } from 'typeorm';
import { decimalString } from '../../database/column-transformers';

/**
 * The price of one model (issue 4): USD per 1,000,000 input (prompt) tokens and per 1,000,000
 * output (completion) tokens, as decimal strings with up to 6 places.
 */
@Entity('model_prices')
export class PriceEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  model: string;

  @Column({ name: 'input_per_million', type: 'decimal', precision: 20, scale: 6, transformer: decimalString })
  inputPerMillion: string;

  @Column({ name: 'output_per_million', type: 'decimal', precision: 20, scale: 6, transformer: decimalString })
  outputPerMillion: string;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
