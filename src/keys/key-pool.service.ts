import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { CryptoService } from '../common/crypto/crypto.service';
import { assertEndpointAllowed } from './endpoint-policy';
import { parseDeployments, parseModels } from './dto/key-response.dto';
import { ApiType, KeyEntity, KeyStatus } from './entities/key.entity';

/** An enabled upstream key as the relay uses it: decrypted secret, parsed endpoint and routing fields. */
export interface RoutableKey {
  id: number;
  apiType: ApiType;
  secret: string;
  /** `https://host:port` */
  origin: string;
  /** Path of the endpoint without a trailing slash (`/v1`, or `` for Azure resources). */
  basePath: string;
  apiVersion: string;
  deployments: Record<string, string>;
  /** Undefined = any model. */
  models?: Set<string>;
  group: string;
  priority: number;
  weight: number;
}

const LAST_USED_FLUSH_MS = 5_000;

/**
 * The relay's view of upstream keys: every enabled key, decrypted once, grouped by
 * `group`, held in memory until a `key` invalidation. Picks keys per request without a query:
 * highest priority first, weighted random within a priority. `last_used_at` is kept in memory
 * and flushed every 5 s (one UPDATE per used key), so the hot path writes nothing for it.
 */
@Injectable()
export class KeyPool implements OnModuleDestroy {
  private readonly logger = new Logger('KeyPool');
  private byGroup?: Promise<Map<string, RoutableKey[]>>;
  /** The table `byGroup` resolved to, for synchronous reads; undefined while (re)loading. */
  private loaded?: Map<string, RoutableKey[]>;
  private readonly used = new Map<number, number>();
  private readonly flushed = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(KeyEntity) private readonly keys: Repository<KeyEntity>,
    private readonly crypto: CryptoService,
    private readonly bus: InvalidationBus,
  ) {
    this.bus.subscribe((event) => {
      if (event.topic === 'key') {
        this.byGroup = undefined;
        this.loaded = undefined;
      }
    });
  }

  /**
   * Enabled keys of `groups` (in group order) that serve `model`, in the order to try them:
   * within a group by priority (desc), weighted random within a priority. Empty when none.
   */
  async candidates(groups: string[], model: string): Promise<RoutableKey[]> {
    return pick(await this.table(), groups, model);
  }

  /** {@link candidates} without waiting, or undefined when the keys are not loaded yet. */
  candidatesNow(groups: string[], model: string): RoutableKey[] | undefined {
    return this.loaded && pick(this.loaded, groups, model);
  }

  /** Models some enabled key of `groups` serves; `undefined` in the set's place means some key serves any model. */
  async servedModels(groups: string[]): Promise<{ any: boolean; models: Set<string> }> {
    const table = await this.table();
    const models = new Set<string>();
    let any = false;
    for (const g of groups) {
      for (const k of table.get(g) ?? []) {
        if (!k.models) any = true;
        else for (const m of k.models) models.add(m);
      }
    }
    return { any, models };
  }

  /** Notes that `keyId` relayed a request now (flushed to `last_used_at` within 5 s). */
  markUsed(keyId: number): void {
    this.used.set(keyId, Math.floor(Date.now() / 1000));
    this.timer ??= setTimeout(() => {
      this.flush().catch((error: Error) => this.logger.warn(`last_used_at flush: ${error.message}`));
    }, LAST_USED_FLUSH_MS).unref();
  }

  /** The in-memory last use of a key (unix seconds, 0 = none since start). */
  lastUsed(keyId: number): number {
    return this.used.get(keyId) ?? 0;
  }

  /**
   * Disables a key automatically (status 3) after the upstream refused it (401 or
   * `insufficient_quota`), keeping the reason in `last_error`; only an enabled key changes.
   */
  async disableAutomatically(keyId: number, reason: string): Promise<void> {
    await this.keys.update(
      { id: keyId, status: KeyStatus.Enabled },
      { status: KeyStatus.DisabledAuto, lastError: reason.slice(0, 1000), updatedAt: new Date() },
    );
    this.bus.publish({ topic: 'key', id: keyId });
    this.logger.warn(`upstream key ${keyId} disabled automatically: ${reason.slice(0, 200)}`);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.flush().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    for (const [id, at] of this.used) {
      if (this.flushed.get(id) === at) continue;
      this.flushed.set(id, at);
      await this.keys.update({ id }, { lastUsedAt: at }).catch((error: Error) => this.logger.warn(`last_used_at of key ${id}: ${error.message}`));
    }
  }

  private table(): Promise<Map<string, RoutableKey[]>> {
    if (!this.byGroup) {
      const loading = this.load();
      this.byGroup = loading;
      loading.then(
        (table) => {
          if (this.byGroup === loading) this.loaded = table;
        },
        () => {
          if (this.byGroup === loading) this.byGroup = undefined;
        },
      );
    }
    return this.byGroup;
  }

  private async load(): Promise<Map<string, RoutableKey[]>> {
    const rows = await this.keys.find({ where: { status: KeyStatus.Enabled } });
    const table = new Map<string, RoutableKey[]>();
    for (const row of rows) {
      let secret: string;
      let url: URL;
      try {
        secret = this.crypto.decrypt(row.keyCiphertext);
        url = new URL(row.endpoint);
        assertEndpointAllowed(row.endpoint); // a row written before the rule existed is not used
      } catch (error) {
        this.logger.warn(`upstream key ${row.id} skipped: ${(error as Error).message}`);
        continue;
      }
      const models = parseModels(row.models);
      const key: RoutableKey = {
        id: row.id,
        apiType: row.apiType,
        secret,
        origin: url.origin,
        basePath: url.pathname.replace(/\/+$/, ''),
        apiVersion: row.apiVersion,
        deployments: parseDeployments(row.deployments),
        models: models.length ? new Set(models) : undefined,
        group: row.group,
        priority: row.priority,
        weight: row.weight,
      };
      const list = table.get(row.group) ?? [];
      list.push(key);
      table.set(row.group, list);
    }
    return table;
  }
}

/** Priority descending; within a priority a weighted random order (weight 0 last). */
export function orderByPriorityAndWeight<T extends { priority: number; weight: number }>(keys: T[], random = Math.random): T[] {
  if (keys.length <= 1) return keys;
  const byPriority = new Map<number, T[]>();
  for (const k of keys) byPriority.set(k.priority, [...(byPriority.get(k.priority) ?? []), k]);
  const out: T[] = [];
  for (const p of [...byPriority.keys()].sort((a, b) => b - a)) {
    const pool = [...(byPriority.get(p) as T[])];
    while (pool.length) {
      const total = pool.reduce((s, k) => s + Math.max(0, k.weight), 0);
      let index = 0;
      if (total > 0) {
        let r = random() * total;
        index = pool.findIndex((k) => (r -= Math.max(0, k.weight)) < 0);
        if (index < 0) index = pool.length - 1;
      }
      out.push(pool.splice(index, 1)[0]);
    }
  }
  return out;
}

/** Per loaded table: the keys of one group that serve one model, worked out once. */
const FITTING = new WeakMap<Map<string, RoutableKey[]>, Map<string, RoutableKey[]>>();

/** Keys of `group` in `table` that serve `model` (cached per table; callers never change the array). */
function fitting(table: Map<string, RoutableKey[]>, group: string, model: string): RoutableKey[] {
  let cache = FITTING.get(table);
  if (!cache) FITTING.set(table, (cache = new Map()));
  const id = `${group}\u0000${model}`;
  let fit = cache.get(id);
  if (!fit) {
    fit = (table.get(group) ?? []).filter((k) => !k.models || k.models.has(model));
    if (cache.size >= 10_000) cache.clear(); // model names come from requests: keep the cache bounded
    cache.set(id, fit);
  }
  return fit;
}

/** Keys of `table` in `groups` that serve `model`, in the order to try them (see KeyPool.candidates). */
function pick(table: Map<string, RoutableKey[]>, groups: string[], model: string): RoutableKey[] {
  if (groups.length === 1) return orderByPriorityAndWeight(fitting(table, groups[0], model));
  const out: RoutableKey[] = [];
  const seen = new Set<number>();
  for (const group of groups) {
    for (const k of orderByPriorityAndWeight(fitting(table, group, model).filter((key) => !seen.has(key.id)))) {
      seen.add(k.id);
      out.push(k);
    }
  }
  return out;
}
