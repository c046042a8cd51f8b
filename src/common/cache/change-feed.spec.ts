import { DataSource } from 'typeorm';
import { ChangeFeed, FEED_RETENTION_MS } from './change-feed';
import { ChangeEventEntity } from './entities/change-event.entity';

describe('ChangeFeed', () => {
  let dataSource: DataSource;
  const row = (id: number, topic = 'token') => ({ id, uid: `u${id}`, origin: 'other', topic, ref: String(id), createdAt: Date.now() });

  beforeEach(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [ChangeEventEntity], synchronize: true }).initialize();
  });
  afterEach(() => dataSource.destroy());

  it('returns what was appended after start, once, oldest first', async () => {
    const feed = new ChangeFeed(dataSource.getRepository(ChangeEventEntity));
    await feed.append({ uid: 'before', origin: 'x', topic: 'key', ref: null });
    await feed.start();
    await feed.append({ uid: 'a', origin: 'x', topic: 'token', ref: '1' });
    await feed.append({ uid: 'b', origin: 'x', topic: 'user', ref: null });
    expect((await feed.poll()).map((e) => e.uid)).toEqual(['a', 'b']);
    expect(await feed.poll()).toEqual([]);
  });

  it('still delivers an id that committed after a later one was polled', async () => {
    const repo = dataSource.getRepository(ChangeEventEntity);
    const feed = new ChangeFeed(repo);
    await feed.start();
    await repo.insert([row(1), row(3)]); // id 2 allocated elsewhere, not committed yet
    expect((await feed.poll()).map((e) => e.uid)).toEqual(['u1', 'u3']);
    await repo.insert(row(2));
    expect((await feed.poll()).map((e) => e.uid)).toEqual(['u2']);
    expect(await feed.poll()).toEqual([]);
  });

  it('purges rows older than the retention', async () => {
    const repo = dataSource.getRepository(ChangeEventEntity);
    const feed = new ChangeFeed(repo);
    await repo.insert({ ...row(1), createdAt: Date.now() - FEED_RETENTION_MS - 1000 });
    await repo.insert(row(2));
    expect(await feed.purge()).toBe(1);
    expect((await repo.find()).map((r) => r.id)).toEqual([2]);
  });
});
