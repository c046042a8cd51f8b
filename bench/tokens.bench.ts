/**
 * Tokens benchmark: seeds 100,000 tokens over 1,000 users directly in the database
 * (batched multi-row INSERTs), boots the real app on a local port and prints p50/p99 latency of
 * list page 1, search by name, search by key fragment, and a batch update of 1,000 ids, on SQLite
 * (a temp file) and, when TEST_DATABASE_URL is set, on a fresh MariaDB/MySQL database (dropped after).
 * Prints figures only; nothing is asserted. Run: `npm run bench:tokens` (ITERATIONS=300 by default).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module';
import { configureApp } from '../src/app.setup';
import { CryptoService } from '../src/common/crypto/crypto.service';
import { TokenEntity } from '../src/tokens/entities/token.entity';
import { testDatabases, TestDatabase } from '../test/support/test-databases';

const USERS = 1000;
const TOKENS = 100_000;
/** The batch-update user holds 1,000 tokens (the per-user maximum); the rest share the remainder. */
const BATCH_USER_TOKENS = 1000;
const ITERATIONS = Number(process.env.ITERATIONS ?? 300);
const BATCH_RUNS = Number(process.env.BATCH_RUNS ?? 20);
const INSERT_CHUNK = 500;

interface BenchUser {
  id: number;
  token: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function report(label: string, samples: number[]): void {
  const s = [...samples].sort((x, y) => x - y);
  const fmt = (n: number) => n.toFixed(2).padStart(8);
  console.log(`  ${label.padEnd(34)} n=${String(s.length).padStart(4)}  p50 ${fmt(percentile(s, 50))} ms  p99 ${fmt(percentile(s, 99))} ms`);
}

async function call(base: string, user: BenchUser, method: string, path: string, body?: unknown): Promise<{ ms: number; json: any }> {
  const started = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${user.token}`, 'New-Api-User': String(user.id), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  const ms = performance.now() - started;
  if (!res.ok || !json.success) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
  return { ms, json };
}

async function makeUsers(base: string): Promise<BenchUser[]> {
  const init = await fetch(`${base}/1/users/init`, { method: 'POST' }).then((r) => r.json());
  const users: BenchUser[] = [{ id: init.id, token: init.token }];
  while (users.length < USERS) {
    const res = await fetch(`${base}/1/users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${init.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `bench-user-${users.length}` }),
    });
    const u = await res.json();
    if (!res.ok) throw new Error(`create user: ${res.status} ${JSON.stringify(u)}`);
    users.push({ id: u.id, token: u.token });
  }
  return users;
}

/** Inserts the tokens straight into the table; returns each user's clear keys. */
async function seedTokens(ds: DataSource, crypto: CryptoService, users: BenchUser[]): Promise<Map<number, string[]>> {
  const keys = new Map<number, string[]>();
  const perUser = users.map((_, i) => (i === 0 ? BATCH_USER_TOKENS : 0));
  let left = TOKENS - BATCH_USER_TOKENS;
  for (let i = 1; left > 0; i = (i % (users.length - 1)) + 1, left--) perUser[i]++;
  const now = Math.floor(Date.now() / 1000);
  const columns = [
    'user_id', 'name', 'key_hash', 'key_ciphertext', 'key_prefix', 'key_suffix', 'status', 'created_time', 'accessed_time',
    'expired_time', 'remain_quota', 'used_quota', 'unlimited_quota', 'model_limits_enabled', 'model_limits', 'allow_ips',
    'group', 'mj_image_mode', 'mj_custom_proxy', 'selected_groups',
  ];
  const rowSql = `(${columns.map(() => '?').join(',')})`;
  // Raw multi-row INSERTs (backtick quoting and ? placeholders work on both SQLite and MySQL).
  let rows: unknown[][] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    await ds.query(`INSERT INTO tokens (${columns.map((c) => `\`${c}\``).join(',')}) VALUES ${rows.map(() => rowSql).join(',')}`, rows.flat());
    rows = [];
  };
  for (const [i, user] of users.entries()) {
    const mine: string[] = [];
    for (let n = 0; n < perUser[i]; n++) {
      const key = crypto.randomAlphanumeric(48);
      mine.push(key);
      const name = `${['prod', 'dev', 'test', 'ci', 'batch'][n % 5]} token ${n}`;
      rows.push([
        user.id, name, crypto.hash(key), crypto.encrypt(key), key.slice(0, 8), key.slice(-4), 1, now - (perUser[i] - n), 0,
        -1, 500000, 0, 0, 0, '', '', '', 'default', '', '[]',
      ]);
      if (rows.length >= INSERT_CHUNK) await flush();
    }
    keys.set(user.id, mine);
  }
  await flush();
  return keys;
}

async function benchOn(label: string, database: TestDatabase, url: string): Promise<void> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TOLLGATE_SECRET: 'bench-master-secret-0123456789abcdef0123456789',
    DATABASE_URL: url,
  });
  delete process.env.REDIS_URL;
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), { bodyParser: false, bufferLogs: true, logger: false });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  process.env = saved;
  // Seeding pauses the HTTP traffic for a while; keep the client's pooled sockets alive meanwhile.
  app.getHttpServer().keepAliveTimeout = 600_000;
  const address = app.getHttpServer().address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  try {
    console.log(`\n[${label}] seeding ${USERS} users and ${TOKENS.toLocaleString('en')} tokens ...`);
    const t0 = performance.now();
    const users = await makeUsers(base);
    const t1 = performance.now();
    const keys = await seedTokens(app.get(DataSource), app.get(CryptoService), users);
    const count = await app.get(DataSource).getRepository(TokenEntity).count();
    const secs = (a: number, b: number) => ((b - a) / 1000).toFixed(1);
    console.log(`  users via HTTP in ${secs(t0, t1)} s; ${count.toLocaleString('en')} tokens inserted in ${secs(t1, performance.now())} s`);

    const pick = (i: number) => users[1 + (i * 7919) % (users.length - 1)];
    for (let i = 0; i < 50; i++) await call(base, pick(i), 'GET', '/api/token/?p=1&size=20'); // warm-up

    const list: number[] = [];
    const byName: number[] = [];
    const byKey: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const u = pick(i);
      list.push((await call(base, u, 'GET', '/api/token/?p=1&size=20')).ms);
      byName.push((await call(base, u, 'GET', '/api/token/search?keyword=prod%20token%201')).ms);
      const key = keys.get(u.id)![i % keys.get(u.id)!.length];
      const r = await call(base, u, 'GET', `/api/token/search?token=sk-${key.slice(0, 6)}`);
      if (!r.json.data.length) throw new Error('key fragment search found nothing');
      byKey.push(r.ms);
    }

    const owner = users[0];
    const ids: number[] = (await call(base, owner, 'GET', '/api/token/?p=1&size=100')).json.data.items.map((t: { id: number }) => t.id);
    const allIds: number[] = [];
    for (let p = 1; p <= 10; p++) allIds.push(...(await call(base, owner, 'GET', `/api/token/?p=${p}&size=100`)).json.data.items.map((t: { id: number }) => t.id));
    if (allIds.length !== 1000 || ids.length !== 100) throw new Error(`batch user holds ${allIds.length} tokens`);
    const batch: number[] = [];
    for (let i = 0; i < BATCH_RUNS; i++) {
      const r = await call(base, owner, 'PUT', '/api/token/batch', {
        ids: allIds,
        group: i % 2 ? 'vip,default' : 'default',
        remain_quota: 1000 + i,
        update_fields: ['group', 'remain_quota'],
      });
      if (r.json.data !== 1000) throw new Error(`batch update changed ${r.json.data}`);
      batch.push(r.ms);
    }

    console.log(`[${label}] latency over HTTP (sequential, in-process server):`);
    report('list page 1 (p=1&size=20)', list);
    report('search by name (keyword)', byName);
    report('search by key fragment (token)', byKey);
    report('batch update of 1,000 ids', batch);
  } finally {
    await app.close();
    await database.drop();
  }
}

async function main(): Promise<void> {
  console.log(`tokens bench: ${USERS} users, ${TOKENS.toLocaleString('en')} tokens, ${ITERATIONS} iterations, node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  try {
    const sqlite: TestDatabase = { label: 'sqlite', create: async () => `sqlite:${join(dir, 'bench.sqlite')}`, drop: async () => undefined };
    await benchOn('sqlite (file, WAL)', sqlite, await sqlite.create());
    const mysql = testDatabases().find(([name]) => name === 'mariadb');
    if (mysql) {
      const db = mysql[1]();
      await benchOn('mariadb', db, await db.create());
    } else {
      console.log('\n(TEST_DATABASE_URL not set: MariaDB skipped)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
