import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import Redis from 'ioredis';

/** What changed: a token, an upstream key, a user (deleted, reset, role), a price, or everything of a kind (`id` omitted). */
export interface Invalidation {
  topic: 'token' | 'key' | 'user' | 'price' | 'session';
  id?: number | string;
}

const CHANNEL = 'tollgate:invalidate';

/**
 * Tells every in-memory cache, in this instance and (when `REDIS_URL` is set) in every other
 * instance through Redis pub/sub, that a row changed, so several instances behind a load
 * balancer agree at once. Publish after the change commits; subscribers drop their entries.
 */
@Injectable()
export class InvalidationBus implements OnModuleDestroy {
  private readonly local = new EventEmitter().setMaxListeners(100);
  private readonly logger = new Logger('InvalidationBus');
  private publisher?: Redis;
  private subscriber?: Redis;
  private readonly origin = Math.random().toString(36).slice(2);

  constructor(redisUrl?: string) {
    if (!redisUrl) return;
    this.publisher = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, connectTimeout: 3000 });
    this.subscriber = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, connectTimeout: 3000 });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    }
    void this.subscriber.subscribe(CHANNEL).catch((error: Error) => this.logger.warn(`redis subscribe: ${error.message}`));
    this.subscriber.on('message', (_channel: string, raw: string) => {
      try {
        const { origin, event } = JSON.parse(raw) as { origin: string; event: Invalidation };
        if (origin !== this.origin) this.local.emit('invalidate', event);
      } catch {
        this.logger.warn('ignored a malformed invalidation message');
      }
    });
  }

  /** Drops the entry here at once, and in other instances through Redis. */
  publish(event: Invalidation): void {
    this.local.emit('invalidate', event);
    if (this.publisher) {
      void this.publisher.publish(CHANNEL, JSON.stringify({ origin: this.origin, event })).catch((error: Error) => {
        this.logger.warn(`redis publish: ${error.message}`);
      });
    }
  }

  /** Calls `handler` for every invalidation, local or remote. */
  subscribe(handler: (event: Invalidation) => void): void {
    this.local.on('invalidate', handler);
  }

  /** True when Redis is configured (for readiness checks). */
  get redis(): Redis | undefined {
    return this.publisher;
  }

  onModuleDestroy(): void {
    this.local.removeAllListeners();
    this.publisher?.disconnect();
    this.subscriber?.disconnect();
  }
}
