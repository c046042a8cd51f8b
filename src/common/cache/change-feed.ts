import { In, MoreThan, Repository, LessThan } from 'typeorm';
import { ChangeEventEntity } from './entities/change-event.entity';

/** A change-feed row as the bus hands it on. */
export interface FeedEvent {
  uid: string;
  origin: string;
  topic: string;
  ref: string | null;
}

/** How long a missing id is looked for again: an INSERT that got its id but had not committed yet. */
const GAP_RETRY_MS = 5_000;
/** How long rows stay in the feed. */
export const FEED_RETENTION_MS = 10 * 60_000;
/** Widest run of skipped ids looked for again. */
const MAX_GAP = 100;
/** Rows read per poll at most (the next poll goes on from there). */
const POLL_LIMIT = 1_000;

/**
 * The shared change feed behind the invalidation bus: `append` adds a row to `change_events`,
 * `poll` returns the rows added since the last poll, in id order. Ids are allocated before their
 * INSERT commits, so a poll can see id 12 before id 11 has committed: a skipped id is looked up
 * again on the next polls for a few seconds, and only then given up (an INSERT that failed).
 */
export class ChangeFeed {
  private cursor: number | undefined;
  /** Ids skipped by the cursor, with the time they were first missed (unix ms). */
  private readonly gaps = new Map<number, number>();

  constructor(private readonly events: Repository<ChangeEventEntity>) {}

  /** Starts the cursor at the newest row: events older than this instance are of no use to it. */
  async start(): Promise<void> {
    const newest = await this.events.find({ select: { id: true }, order: { id: 'DESC' }, take: 1 });
    this.cursor = newest[0]?.id ?? 0;
  }

  /** Appends one event. @throws the driver's error */
  async append(event: FeedEvent, now = Date.now()): Promise<void> {
    await this.events.insert({ ...event, createdAt: now });
  }

  /** The events appended since the previous poll (and late commits of skipped ids), oldest first. */
  async poll(now = Date.now()): Promise<FeedEvent[]> {
    if (this.cursor === undefined) await this.start();
    const rows = await this.events.find({ where: { id: MoreThan(this.cursor!) }, order: { id: 'ASC' }, take: POLL_LIMIT });
    const late = this.gaps.size > 0 ? await this.events.find({ where: { id: In([...this.gaps.keys()]) } }) : [];
    for (const row of late) this.gaps.delete(row.id);
    for (const [id, since] of this.gaps) if (now - since > GAP_RETRY_MS) this.gaps.delete(id);
    for (const row of rows) {
      // a jump wider than a burst of concurrent INSERTs is the server's, not a commit still under way
      if (row.id - this.cursor! <= MAX_GAP) for (let missing = this.cursor! + 1; missing < row.id; missing++) this.gaps.set(missing, now);
      this.cursor = row.id;
    }
    return [...late, ...rows].map(({ uid, origin, topic, ref }) => ({ uid, origin, topic, ref }));
  }

  /** Deletes rows older than {@link FEED_RETENTION_MS}. @returns how many */
  async purge(now = Date.now()): Promise<number> {
    const result = await this.events.delete({ createdAt: LessThan(now - FEED_RETENTION_MS) });
    return result.affected ?? 0;
  }
}
