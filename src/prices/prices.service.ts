import { Injectable, NotFoundException, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { EnvironmentVariables } from '../config/env.validation';
import { formatPrice, ModelPrice, parsePrice } from './cost';
import { PriceInputDto } from './dto/put-prices.dto';
import { PriceResponseDto, toPriceResponse } from './dto/price-response.dto';
import { PriceEntity } from './entities/price.entity';

/**
 * Model prices (issue 4): the `model_prices` table, held in memory (reloaded on every `price`
 * invalidation, local or from another instance), so pricing a request costs no query.
 */
@Injectable()
export class PricesService implements OnModuleInit {
  private table = new Map<string, ModelPrice>();
  private generation = 0;
  private readonly fallback?: ModelPrice;

  constructor(
    @InjectRepository(PriceEntity) private readonly prices: Repository<PriceEntity>,
    private readonly bus: InvalidationBus,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    const raw = config.get('DEFAULT_MODEL_PRICE', { infer: true });
    if (raw) {
      const [input, output = input] = raw.split(',');
      this.fallback = { model: '*', inputMicro: parsePrice(input), outputMicro: parsePrice(output) };
    }
    this.bus.subscribe((event) => {
      if (event.topic === 'price') void this.reload();
    });
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  /**
   * The price of `model`: its own row; else, for a dated snapshot (`gpt-4o-2024-11-20`,
   * `gpt-4-0613`), its base model's row; else `DEFAULT_MODEL_PRICE`; else undefined (refuse).
   * Never another prefix: `o1-pro` is not `o1`, `gpt-4-32k` is not `gpt-4`.
   */
  priceFor(model: string): ModelPrice | undefined {
    const exact = this.table.get(model);
    if (exact) return exact;
    const base = snapshotBase(model);
    return (base !== undefined ? this.table.get(base) : undefined) ?? this.fallback;
  }

  /** Names of the priced models (in memory). */
  pricedModels(): string[] {
    return [...this.table.keys()];
  }

  /** Every priced model, by name. */
  async list(): Promise<PriceResponseDto[]> {
    const rows = await this.prices.find({ order: { model: 'ASC' } });
    return rows.map(toPriceResponse);
  }

  /** Adds or replaces the given prices in one transaction; returns the whole table. */
  async put(entries: PriceInputDto[]): Promise<PriceResponseDto[]> {
    const now = new Date();
    const rows = entries.map((e) => ({
      model: e.model.trim(),
      inputPerMillion: formatPrice(parsePrice(e.input)),
      outputPerMillion: formatPrice(parsePrice(e.output)),
      updatedAt: now,
    }));
    await this.prices.manager.transaction(async (tx) => {
      for (const row of rows) await tx.upsert(PriceEntity, row, ['model']);
    });
    this.bus.publish({ topic: 'price' });
    return this.list();
  }

  /** Removes a model's price. @throws NotFoundException (404) when it has none. */
  async remove(model: string): Promise<void> {
    const result = await this.prices.delete({ model });
    if (!result.affected) throw new NotFoundException(`model "${model}" has no price`);
    this.bus.publish({ topic: 'price' });
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    const rows = await this.prices.find();
    if (generation !== this.generation) return;
    this.table = new Map(
      rows.map((r) => [r.model, { model: r.model, inputMicro: parsePrice(normalize(r.inputPerMillion)), outputMicro: parsePrice(normalize(r.outputPerMillion)) }]),
    );
  }
}

/** The base model of a dated snapshot name (`-YYYY-MM-DD` or `-MMDD` at the end), else undefined. */
export function snapshotBase(model: string): string | undefined {
  const match = /^(.+)-(\d{4}-\d{2}-\d{2}|\d{4})$/.exec(model);
  return match ? match[1] : undefined;
}

/** `"2.000000"` / `2` from the driver → `"2.000000"` / `"2"` as {@link parsePrice} reads it. */
function normalize(value: string | number): string {
  const s = String(value);
  return s.includes('e') ? Number(s).toFixed(6) : s;
}
