import { Invalidation, InvalidationBus } from './invalidation-bus';

const waitFor = async (check: () => boolean, ms = 3000) => {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
};

describe('InvalidationBus', () => {
  it('delivers an invalidation to local subscribers at once', () => {
    const bus = new InvalidationBus();
    const seen: Invalidation[] = [];
    bus.subscribe((e) => seen.push(e));
    bus.publish({ topic: 'token', id: 5 });
    expect(seen).toEqual([{ topic: 'token', id: 5 }]);
  });

  const redisUrl = process.env.TEST_REDIS_URL;
  if (!redisUrl) it.todo('delivers it to another instance through Redis pub/sub (set TEST_REDIS_URL)');
  else it('delivers it to another instance through Redis pub/sub, once', async () => {
    const a = new InvalidationBus({ redisUrl });
    const b = new InvalidationBus({ redisUrl });
    try {
      const seenByA: Invalidation[] = [];
      const seenByB: Invalidation[] = [];
      a.subscribe((e) => seenByA.push(e));
      b.subscribe((e) => seenByB.push(e));
      await new Promise((r) => setTimeout(r, 200)); // subscriptions settle
      a.publish({ topic: 'key', id: 9 });
      await waitFor(() => seenByB.length > 0);
      expect(seenByB).toEqual([{ topic: 'key', id: 9 }]);
      await new Promise((r) => setTimeout(r, 100));
      expect(seenByA).toEqual([{ topic: 'key', id: 9 }]); // not echoed back from Redis
    } finally {
      await a.onApplicationShutdown();
      await b.onApplicationShutdown();
    }
  });
});
