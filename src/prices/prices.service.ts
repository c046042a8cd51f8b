import { Injectable, Logger, NotFoundException, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { diffViews } from '../audit/audit-changes';
import { AuditService } from '../audit/audit.service';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { EnvironmentVariables } from '../config/env.validation';
import { ModelPrice, parsePrice, parseStoredMicro } from './cost';
import { PriceInputDto } from './dto/put-prices.dto';
import { PriceResponseDto, toPriceResponse } from './dto/price-response.dto';
import { PriceEntity } from './entities/price.entity';
import { priceAuditView } from './price-audit-view';

/**
 * Model prices: the `model_prices` table, held in memory (reloaded on every `price`
 * invalidation, local or from another instance), so pricing a request costs no query. A row that
 * does not read as a price (hand-edited, or carried over out of range) is logged and left out;
 * a failed reload is logged and the table in memory stays as it was. Changes leave audit records
 * (`price.update` per model, `price.delete`) in their transaction.
 */
@Injectable()
export class PricesService implements OnModuleInit {
  private table = new Map<string, ModelPrice>();
  private generation = 0;
  private readonly fallback?: ModelPrice;
  private readonly logger = new Logger('Prices');

  constructor(
    @InjectRepository(PriceEntity) private readonly prices: Repository<PriceEntity>,
    private readonly bus: InvalidationBus,
    config: ConfigService<EnvironmentVariables, true>,
    private readonly audit: AuditService,
  ) {
    const raw = config.get('DEFAULT_MODEL_PRICE', { infer: true });
    if (raw) {
      const [input, output = input] = raw.split(',');
      this.fallback = { model: '*', inputMicro: parsePrice(input), outputMicro: parsePrice(output) };
    }
    this.bus.subscribe((event) => {
      if (event.topic === 'price') this.reload().catch((error: Error) => this.logger.error(`price reload failed: ${error.message}`));
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
    return rows.flatMap((row) => {
      const price = readRow(row);
      return price ? [toPriceResponse(price, row.updatedAt)] : [];
    });
  }

  /** Adds or replaces the given prices in one transaction, with a `price.update` audit record per model; returns the whole table. */
  async put(entries: PriceInputDto[]): Promise<PriceResponseDto[]> {
    const now = new Date();
    const rows = entries.map((e) => ({
      model: e.model.trim(),
      inputMicro: parsePrice(e.input).toString(),
      outputMicro: parsePrice(e.output).toString(),
      cachedInputMicro: e.cached_input === undefined ? null : parsePrice(e.cached_input).toString(),
      updatedAt: now,
    }));
    await this.prices.manager.transaction(async (tx) => {
      for (const row of rows) {
        const existing = await tx.findOneBy(PriceEntity, { model: row.model });
        await tx.upsert(PriceEntity, row, ['model']);
        const changes = diffViews(existing ? priceAuditView(existing) : null, priceAuditView(row));
        await this.audit.record(tx, { action: 'price.update', targetType: 'price', targetId: row.model, changes });
      }
    });
    this.bus.publish({ topic: 'price' });
    return this.list();
  }

  /** Removes a model's price, with its audit record. @throws NotFoundException (404) when it has none. */
  async remove(model: string): Promise<void> {
    await this.prices.manager.transaction(async (tx) => {
      const existing = await tx.findOneBy(PriceEntity, { model });
      const result = existing ? await tx.delete(PriceEntity, { model }) : undefined;
      if (!existing || !result?.affected) throw new NotFoundException(`model "${model}" has no price`);
      await this.audit.record(tx, { action: 'price.delete', targetType: 'price', targetId: model, changes: diffViews(priceAuditView(existing), null) });
    });
    this.bus.publish({ topic: 'price' });
  }

  private async reload(): Promise<void> {
    const generation = ++this.generation;
    const rows = await this.prices.find();
    if (generation !== this.generation) return;
    const table = new Map<string, ModelPrice>();
    for (const row of rows) {
      const price = readRow(row);
      if (price) table.set(price.model, price);
      else this.logger.error(`model_prices row "${row.model}" skipped: its price is out of range (set it again with PUT /1/prices, or DELETE it)`);
    }
    this.table = table;
  }
}

/** The base model of a dated snapshot name (`-YYYY-MM-DD` or `-MMDD` at the end), else undefined. */
export function snapshotBase(model: string): string | undefined {
  const match = /^(.+)-(\d{4}-\d{2}-\d{2}|\d{4})$/.exec(model);
  return match ? match[1] : undefined;
}

/** A stored row → its price; undefined when a column does not hold a price {@link parseStoredMicro} accepts. */
function readRow(row: PriceEntity): ModelPrice | undefined {
  try {
    const cached = row.cachedInputMicro === null || row.cachedInputMicro === undefined ? undefined : parseStoredMicro(row.cachedInputMicro);
    return { model: row.model, inputMicro: parseStoredMicro(row.inputMicro), outputMicro: parseStoredMicro(row.outputMicro), cachedMicro: cached };
  } catch {
    return undefined;
  }
}
