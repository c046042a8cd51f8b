/**
 * `npm run bench:usages`: fills 1,000,000 usage records over 90 days and 1,000 users
 * (bulk multi-row INSERTs, then each rollup with one INSERT ... SELECT ... GROUP BY, so rollups
 * equal the records), boots the real app on that database and prints p50/p99 latency over HTTP of
 *   - GET /1/usages for one month (admin, every user): a 30-day window not aligned to months, and a calendar month
 *     in UTC days and in the local days of +08:00,
 *   - GET /1/usages/daily for one user and one month, in UTC days and in the local days of +08:00,
 *   - GET /1/usages/logs page 1 and page 100 with a filter (model), and a user's page 1 and a cursor page.
 * Runs on SQLite (temp file) and, when TEST_DATABASE_URL (or BENCH_DATABASE_URL) is set, on MySQL/MariaDB
 * in a database created for the run and dropped after. Target: each p50 < 20 ms on MariaDB.
 * Env: BENCH_RECORDS (default 1000000), BENCH_SAMPLES (default 200), BENCH_DB=sqlite|mariadb to run one.
 * Figures are printed, never asserted.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { request } from 'undici';
import { AppModule } from '../src/app.module';
import { configureApp } from '../src/app.setup';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const USERS = 1000;
const DAYS = 90;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const WARMUP = 20;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-3.5-turbo', 'claude-3-5-sonnet'];
const PRICE_PER_TOKEN = [5e-6, 0.15e-6, 2e-6, 3e-6];
const DAY_MS = 86_400_000;

interface Target {
  label: string;
  url: string;
  drop(): Promise<void>;
}

function sqliteTarget(): Target {
  const file = join(tmpdir(), `tollgate-usages-bench-${process.pid}.sqlite`);
  const drop = async () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  };
  return { label: 'sqlite', url: `sqlite:${file}`, drop };
}

async function mysqlTarget(serverUrl: string): Promise<Target> {
  const url = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  const name = `tollgate_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = () =>
    createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password) });
  const conn = await admin();
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  const target = new URL(url.toString());
  target.pathname = `/${name}`;
  return {
    label: 'mariadb',
    url: target.toString(),
    async drop() {
      const c = await admin();
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sqlTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

async function fill(ds: DataSource, mysql: boolean, start: number): Promise<void> {
  const random = prng(42);
  const span = DAYS * DAY_MS;
  const step = span / RECORDS;
  const batch = 2000;
  const columns =
    'user_id, token_id, key_id, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, quota, status_code, is_stream, latency_ms, ip, request_id, created_at';
  const t0 = Date.now();
  const runner = ds.createQueryRunner();
  try {
    if (!mysql) await runner.startTransaction();
    for (let done = 0; done < RECORDS; ) {
      const n = Math.min(batch, RECORDS - done);
      const values: string[] = [];
      for (let i = 0; i < n; i++, done++) {
        // time-ordered like the relay writes them, so id order follows created_at
        const at = start + Math.floor(done * step + random() * step);
        const user = 1 + Math.floor(random() * USERS);
        const token = user * 2 - (random() < 0.7 ? 1 : 0);
        const m = Math.floor(random() * MODELS.length);
        const roll = random();
        const status = roll < 0.95 ? 200 : roll < 0.98 ? 429 : 499;
        const prompt = status === 429 ? 0 : 20 + Math.floor(random() * 800);
        const completion = status === 429 ? 0 : Math.floor(random() * 400);
        const total = prompt + completion;
        const cost = (total * PRICE_PER_TOKEN[m]).toFixed(10);
        const quota = status === 200 ? Math.round(Number(cost) * 500_000) : 0;
        values.push(
          `(${user},${token},1,'${MODELS[m]}',${prompt},${completion},${total},${cost},${quota},${status},${status === 499 ? 1 : 0},${50 + Math.floor(random() * 2000)},'10.0.0.1','r${done}','${sqlTime(at)}')`,
        );
      }
      await runner.query(`INSERT INTO usage_records (${columns}) VALUES ${values.join(',')}`);
      if (!mysql && done % 100_000 === 0 && done < RECORDS) {
        await runner.commitTransaction();
        await runner.startTransaction();
      }
      if (done % 200_000 === 0) process.stdout.write(`  ${done} records (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
    if (!mysql) await runner.commitTransaction();
    const day = mysql ? "DATE_FORMAT(created_at, '%Y-%m-%d')" : 'substr(created_at, 1, 10)';
    const cost = mysql ? 'SUM(cost_usd)' : 'ROUND(SUM(cost_usd), 10)';
    const t1 = Date.now();
    await runner.query(
      'INSERT INTO usage_daily (day, user_id, token_id, model, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd, quota) ' +
        `SELECT ${day}, user_id, token_id, model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), ${cost}, SUM(quota) ` +
        `FROM usage_records GROUP BY ${day}, user_id, token_id, model`,
    );
    const hour = mysql ? "DATE_FORMAT(created_at, '%Y-%m-%d %H')" : 'substr(created_at, 1, 13)';
    await runner.query(
      'INSERT INTO usage_hourly (hour_start, user_id, token_id, model, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd, quota) ' +
        `SELECT ${hour}, user_id, token_id, model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), ${cost}, SUM(quota) ` +
        `FROM usage_records GROUP BY ${hour}, user_id, token_id, model`,
    );
    const starts = mysql
      ? { D: 'day', W: "DATE_FORMAT(DATE_SUB(day, INTERVAL WEEKDAY(day) DAY), '%Y-%m-%d')", M: "CONCAT(LEFT(day, 7), '-01')" }
      : { D: 'day', W: "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')", M: "substr(day, 1, 7) || '-01'" };
    for (const [grain, start] of Object.entries(starts)) {
      await runner.query(
        'INSERT INTO usage_period_user (grain, period_start, user_id, requests, prompt_tokens, completion_tokens, total_tokens, cost_usd, quota) ' +
          `SELECT '${grain}', ${start}, user_id, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), SUM(cost_usd), SUM(quota) ` +
          `FROM usage_daily GROUP BY ${start}, user_id`,
      );
    }
    await runner.query(mysql ? 'ANALYZE TABLE usage_records, usage_daily, usage_hourly, usage_period_user' : 'ANALYZE');
    const [{ records }] = await runner.query('SELECT COUNT(*) AS records FROM usage_records');
    const [{ rollups, requests }] = await runner.query('SELECT COUNT(*) AS rollups, SUM(requests) AS requests FROM usage_daily');
    const [{ hours, hourRequests }] = await runner.query('SELECT COUNT(*) AS hours, SUM(requests) AS hourRequests FROM usage_hourly');
    console.log(
      `  filled ${records} records in ${((t1 - t0) / 1000).toFixed(1)} s; ${rollups} daily and ${hours} hourly rollup rows (sum of requests ${requests}) in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
    );
    if (Number(requests) !== Number(records) || Number(hourRequests) !== Number(records)) throw new Error('rollups do not match records');
  } finally {
    await runner.release();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function measure(base: string, token: string, name: string, path: (i: number) => string): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const t = process.hrtime.bigint();
    const res = await request(base + path(i), { headers: { authorization: `Bearer ${token}` } });
    const body = await res.body.text();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode} ${body.slice(0, 200)}`);
    if (i >= WARMUP) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return `  ${name.padEnd(48)} p50 ${percentile(times, 50).toFixed(2).padStart(8)} ms   p99 ${percentile(times, 99).toFixed(2).padStart(8)} ms`;
}

async function run(target: Target): Promise<void> {
  console.log(`\n== ${target.label}: ${RECORDS} records, ${USERS} users, ${DAYS} days ==`);
  Object.assign(process.env, {
    DATABASE_URL: target.url,
    LOG_LEVEL: 'warn',
    USAGE_RETENTION_DAYS: '0',
    NODE_ENV: 'test',
    TOLLGATE_SECRET: process.env.TOLLGATE_SECRET ?? randomBytes(32).toString('hex'), // throwaway database
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), { bodyParser: false, bufferLogs: true });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  try {
    const address = app.getHttpServer().address() as { port: number };
    const base = `http://127.0.0.1:${address.port}`;
    const init = await request(`${base}/1/users/init`, { method: 'POST' });
    const { token } = (await init.body.json()) as { token: string };
    const ds = app.get(DataSource);
    const mysql = ds.driver.options.type === 'mysql';
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const start = today - (DAYS - 1) * DAY_MS;
    await fill(ds, mysql, start);
    const day = (n: number) => new Date(start + n * DAY_MS).toISOString().slice(0, 10);
    const month = `from=${day(30)}&to=${day(60)}`;
    const mid = new Date(start + 45 * DAY_MS);
    const calendarMonth = `from=${new Date(Date.UTC(mid.getUTCFullYear(), mid.getUTCMonth(), 1)).toISOString().slice(0, 10)}&to=${new Date(Date.UTC(mid.getUTCFullYear(), mid.getUTCMonth() + 1, 1)).toISOString().slice(0, 10)}`;
    const user = (i: number) => 1 + ((i * 37) % USERS);
    const results = [
      await measure(base, token, 'GET /1/usages (30 days mid-data, all users)', () => `/1/usages?${month}`),
      await measure(base, token, 'GET /1/usages (calendar month, all users)', () => `/1/usages?${calendarMonth}`),
      await measure(base, token, 'GET /1/usages (calendar month +08:00, all users)', () => `/1/usages?${calendarMonth}&tz=%2B08:00`),
      await measure(base, token, 'GET /1/usages/daily (one user, one month)', (i) => `/1/usages/daily?${month}&user_id=${user(i)}`),
      await measure(base, token, 'GET /1/usages/daily (one user, one month +08:00)', (i) => `/1/usages/daily?${month}&user_id=${user(i)}&tz=%2B08:00`),
      await measure(base, token, 'GET /1/usages/logs p=1 size=20 model=gpt-4o', () => '/1/usages/logs?p=1&size=20&model=gpt-4o'),
      await measure(base, token, 'GET /1/usages/logs p=100 size=20 model=gpt-4o', () => '/1/usages/logs?p=100&size=20&model=gpt-4o'),
      await measure(base, token, 'GET /1/usages/logs p=1 size=20 user_id', (i) => `/1/usages/logs?p=1&size=20&user_id=${user(i)}`),
      await measure(base, token, 'GET /1/usages/logs p=40 size=20 user_id', (i) => `/1/usages/logs?p=40&size=20&user_id=${user(i)}`),
    ];
    console.log(results.join('\n'));
  } finally {
    await app.close();
    await target.drop();
  }
}

async function main(): Promise<void> {
  const only = process.env.BENCH_DB;
  const server = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!only || only === 'sqlite') await run(sqliteTarget());
  if (server && (!only || only === 'mariadb')) await run(await mysqlTarget(server));
  else if (!server) console.log('\n(set TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/test to bench MariaDB too)');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
