import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import Redis from 'ioredis';
import type { ChangeFeed, FeedEvent } from './change-feed';

/**
 * What changed: a token, an upstream key, a user (deleted, reset, role, budget), a price, or
 * everything of a kind (`id` omitted). `lease` is a recall: another instance needs the quota that
 * this one's lease on subject `id` (`token:12`, `user:3`) holds.
 */
export interface Invalidation {
  topic: 'token' | 'key' | 'user' | 'price' | 'session' | 'lease';
  id?: number | string;
}

const CHANNEL = 'tollgate:invalidate';
/** Event uids remembered to apply each event once (it may come through Redis and the feed). */
const SEEN_LIMIT = 10_000;
/** How often the feed is purged of old rows. */
const PURGE_EVERY_MS = 60_000;

/** Options of the bus: Redis for the instant path, the database change feed for the sure one. */
export interface InvalidationBusOptions {
  redisUrl?: string;
  feed?: ChangeFeed;
  /** Milliseconds between two polls of the feed. */
  pollMs?: number;
}

/**
 * Tells every in-memory cache, in this instance and in every other one sharing the database,
 * that a row changed. Publish after the change commits; subscribers drop their entries.
 *
 * Two paths reach other instances: the `change_events` feed in the shared database, which every
 * instance polls (every `pollMs`, 500 ms by default), so a change is seen everywhere within about
 * a second with no other service; and, when `REDIS_URL` is set, Redis pub/sub, which is instant.
 * An event carries a random uid, so an instance that gets it both ways applies it once.
 * A failed feed write or poll is logged and never thrown: the caches' own TTL still bounds staleness.
 */
@Injectable()
export class InvalidationBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly local = new EventEmitter().setMaxListeners(100);
  private readonly logger = new Logger('InvalidationBus');
  private publisher?: Redis;
  private subscriber?: Redis;
  private readonly origin = randomUUID();
  private readonly seen = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private lastPurge = 0;

  constructor(private readonly options: InvalidationBusOptions = {}) {
    const { redisUrl } = options;
    if (!redisUrl) return;
    this.publisher = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, connectTimeout: 3000 });
    this.subscriber = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, connectTimeout: 3000 });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    }
    this.subscriber.subscribe(CHANNEL).catch((error: Error) => this.logger.warn(`redis subscribe: ${error.message}`));
    this.subscriber.on('message', (_channel: string, raw: string) => {
      try {
        const { uid, origin, event } = JSON.parse(raw) as { uid?: string; origin: string; event: Invalidation };
        if (origin !== this.origin) this.deliver(uid, event);
      } catch {
        this.logger.warn('ignored a malformed invalidation message');
      }
    });
  }

  /** Starts polling the change feed (after migrations, so its table exists). */
  async onApplicationBootstrap(): Promise<void> {
    const feed = this.options.feed;
    if (!feed) return;
    await feed.start().catch((error: Error) => this.logger.warn(`change feed: ${error.message}`));
    this.timer = setInterval(() => {
      this.polling ??= this.poll(feed).finally(() => (this.polling = undefined));
    }, this.options.pollMs ?? 500);
    this.timer.unref();
  }

  /** Drops the entry here at once, and in other instances through the feed (and Redis). */
  publish(event: Invalidation): void {
    const uid = randomUUID();
    this.remember(uid);
    this.local.emit('invalidate', event);
    if (this.publisher) {
      this.publisher.publish(CHANNEL, JSON.stringify({ uid, origin: this.origin, event })).catch((error: Error) => {
        this.logger.warn(`redis publish: ${error.message}`);
      });
    }
    const feed = this.options.feed;
    if (feed) {
      const row: FeedEvent = { uid, origin: this.origin, topic: event.topic, ref: event.id === undefined ? null : String(event.id) };
      const write = feed.append(row).catch((error: Error) => this.logger.error(`change feed write (${event.topic}): ${error.message}`));
      this.pending.add(write);
      void write.finally(() => this.pending.delete(write));
    }
  }

  /** Calls `handler` for every invalidation, local or remote. */
  subscribe(handler: (event: Invalidation) => void): void {
    this.local.on('invalidate', handler);
  }

  /** The Redis client when `REDIS_URL` is set (for readiness checks). */
  get redis(): Redis | undefined {
    return this.publisher;
  }

  /** Resolves once every feed write started so far has ended (tests, shutdown). */
  async flushed(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    await this.flushed();
    this.local.removeAllListeners();
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }

  private async poll(feed: ChangeFeed): Promise<void> {
    try {
      for (const row of await feed.poll()) {
        if (row.origin !== this.origin) this.deliver(row.uid, { topic: row.topic as Invalidation['topic'], ...(row.ref === null ? {} : { id: row.ref }) });
      }
      if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = Date.now();
        await feed.purge();
      }
    } catch (error) {
      this.logger.warn(`change feed poll: ${(error as Error).message}`);
    }
  }

  private deliver(uid: string | undefined, event: Invalidation): void {
    if (uid !== undefined) {
      if (this.seen.has(uid)) return;
      this.remember(uid);
    }
    this.local.emit('invalidate', event);
  }

  private remember(uid: string): void {
    if (this.seen.size >= SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
    this.seen.add(uid);
  }
}
