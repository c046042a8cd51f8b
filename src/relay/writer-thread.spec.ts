import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settlement } from './settlement-batch';
import { WriterThread } from './writer-thread';

const SCHEMA = `
  CREATE TABLE tokens (id INTEGER PRIMARY KEY, remain_quota INTEGER NOT NULL, used_quota INTEGER NOT NULL, accessed_time INTEGER NOT NULL);
  CREATE TABLE usage_records (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER, token_id INTEGER, key_id INTEGER, model TEXT,
    prompt_tokens INTEGER, completion_tokens INTEGER, total_tokens INTEGER, cost_usd REAL, quota INTEGER, status_code INTEGER,
    is_stream INTEGER, latency_ms INTEGER, ip TEXT, request_id TEXT, created_at TEXT);
  CREATE TABLE usage_daily (day TEXT, user_id INTEGER, token_id INTEGER, model TEXT, requests INTEGER, prompt_tokens INTEGER,
    completion_tokens INTEGER, total_tokens INTEGER, cost_usd REAL, quota INTEGER, PRIMARY KEY (day, user_id, token_id, model));
  CREATE TABLE usage_period_user (grain TEXT, period_start TEXT, user_id INTEGER, requests INTEGER, prompt_tokens INTEGER,
    completion_tokens INTEGER, total_tokens INTEGER, cost_usd REAL, quota INTEGER, PRIMARY KEY (grain, period_start, user_id));
`;

/** A settlement of `charge` against a reservation of 100 on token 1, with a callback like the queue's. */
function settlement(charge: number, requestId: string): Settlement & { resolve(): void } {
  return {
    reservation: { tokenId: 1, unlimited: false, reserved: 100 },
    charge,
    record: {
      userId: 7, tokenId: 1, keyId: 3, model: 'gpt-3.5-turbo', promptTokens: 40, completionTokens: 15, totalTokens: 55,
      costUsd: '0.0001100000', statusCode: 200, isStream: false, latencyMs: 12, ip: '127.0.0.1', requestId, createdAt: new Date('2026-11-22T10:00:00Z'),
    },
    resolve: () => undefined, // not cloneable: the worker must send only the data
  };
}

describe('WriterThread (SQLite file, metering writer thread)', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-settle-'));
    file = join(dir, 'db.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    db.prepare('INSERT INTO tokens VALUES (1, 800, 200, 0)').run(); // 200 = two reservations of 100 already taken
    db.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const settle = (worker: WriterThread, settlements: Settlement[]) => worker.send({ now: 1_800_000_000, reserves: [], settlements });

  it('writes records, rollups and refunds in one transaction on its own connection, visible to another', async () => {
    const worker = new WriterThread(file);
    await expect(settle(worker, [settlement(55, 'a'), settlement(55, 'b')])).resolves.toEqual({ id: 1, charged: [55, 55] });
    await worker.close();

    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT remain_quota, used_quota FROM tokens WHERE id = 1').get()).toEqual({ remain_quota: 890, used_quota: 110 });
    expect(db.prepare('SELECT request_id, quota FROM usage_records ORDER BY id').all()).toEqual([
      { request_id: 'a', quota: 55 },
      { request_id: 'b', quota: 55 },
    ]);
    expect(db.prepare("SELECT requests, quota FROM usage_period_user WHERE grain = 'M'").get()).toEqual({ requests: 2, quota: 110 });
    db.close();
  });

  it('never leaves a write hanging when the thread cannot start: each write rejects, and the next one tries again', async () => {
    const worker = new WriterThread(dir); // a directory, not a database file: the thread dies at start
    await expect(settle(worker, [settlement(55, 'a')])).rejects.toThrow('metering writer thread failed: SQLITE_CANTOPEN');
    await expect(worker.send({ now: 1_800_000_000, reserves: [1, 10], settlements: [] })).rejects.toThrow('SQLITE_CANTOPEN');
    await worker.close();
  });

  it('reports a failed settlement transaction with the driver error and leaves nothing of it written, while the reserves beside it stand', async () => {
    const db = new Database(file);
    db.exec('DROP TABLE usage_daily'); // the rollup step fails after the records were inserted
    db.close();
    const worker = new WriterThread(file);
    const reply = await worker.send({ now: 1_800_000_000, reserves: [1, 300], settlements: [settlement(55, 'a')] });
    await worker.close();
    expect(reply).toEqual({ id: 1, granted: [1], settleError: expect.stringMatching(/usage_daily/) });

    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT COUNT(*) AS n FROM usage_records').get()).toEqual({ n: 0 });
    expect(check.prepare('SELECT remain_quota, used_quota, accessed_time FROM tokens WHERE id = 1').get()).toEqual({
      remain_quota: 500,
      used_quota: 500,
      accessed_time: 1_800_000_000,
    });
    check.close();
  });

  it('grants reserves in order, each only while the quota still covers it, in one transaction', async () => {
    const worker = new WriterThread(file);
    // 800 left: 500 fits, the next 500 does not (300 left), 300 fits, then nothing is left
    const reply = await worker.send({ now: 1_800_000_000, reserves: [1, 500, 1, 500, 1, 300, 1, 1], settlements: [] });
    await worker.close();
    expect(reply).toEqual({ id: 1, granted: [1, 0, 1, 0] });
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT remain_quota, used_quota FROM tokens WHERE id = 1').get()).toEqual({ remain_quota: 0, used_quota: 1000 });
    check.close();
  });

  it('refuses every reserve of a round trip whose transaction fails, and reserves nothing of it', async () => {
    const db = new Database(file);
    db.exec('CREATE TRIGGER no_big BEFORE UPDATE ON tokens WHEN NEW.used_quota > 600 BEGIN SELECT RAISE(ABORT, \'quota trigger\'); END');
    db.close();
    const worker = new WriterThread(file);
    const reply = await worker.send({ now: 1_800_000_000, reserves: [1, 100, 1, 400], settlements: [] });
    await worker.close();
    expect(reply).toEqual({ id: 1, reserveError: expect.stringMatching(/quota trigger/) });
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT remain_quota, used_quota FROM tokens WHERE id = 1').get()).toEqual({ remain_quota: 800, used_quota: 200 });
    check.close();
  });
});
