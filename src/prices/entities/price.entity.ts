import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The price of one model, in integer micro-USD per 1,000,000 tokens (= pico-USD per
 * token), one BIGINT column per kind of token: SQLite and MySQL both keep integers exactly, where
 * a SQLite DECIMAL is a float. Drivers hand BIGINT back as a digit string (MySQL) or a number
 * (SQLite); `parseStoredMicro` reads either. A further kind of token is one more column like these.
 */
@Entity('model_prices')
export class PriceEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  model: string;

  /** Micro-USD per 1M input (prompt) tokens. */
  @Column({ name: 'input_micro', type: 'bigint' })
  inputMicro: string | number;

  /** Micro-USD per 1M output (completion) tokens; reasoning tokens are output tokens. */
  @Column({ name: 'output_micro', type: 'bigint' })
  outputMicro: string | number;

  /** Micro-USD per 1M cached input tokens (served from the provider's prompt cache); NULL = the input price. */
  @Column({ name: 'cached_input_micro', type: 'bigint', nullable: true })
  cachedInputMicro: string | number | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
