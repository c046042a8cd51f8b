/**
 * `npm run bench:relay` (issue 4): the relay's hot path (token lookup, policy, reserve, settle,
 * record) against a stub upstream. Targets, each in its own process: the stub itself (direct),
 * a bare node:http pass-through proxy, and Tollgate (compiled app from dist/) on SQLite, plus
 * MariaDB when TEST_DATABASE_URL is set. Rounds interleave the targets; each round measures
 * concurrency 32 (autocannon) and one request at a time, then time to first byte of streams.
 * Prints medians over rounds. Run `npm run build` first (the script does it).
 */
import { ChildProcess, fork } from 'node:child_process';
import { createServer, request as httpRequest, Agent } from 'node:http';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';

const ROLE = process.argv[2] ?? 'main';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const TTFB_SAMPLES = Number(process.env.BENCH_TTFB_SAMPLES ?? 300);
const BODY = JSON.stringify({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 100 });
const STREAM_BODY = JSON.stringify({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 100, stream: true });

function ready(info: object): void {
  process.send?.(info);
}

async function runStub(): Promise<void> {
  const { StubUpstream } = require('../test/support/stub-upstream') as typeof import('../test/support/stub-upstream');
  const stub = await StubUpstream.start();
  stub.record = false;
  ready({ port: stub.port });
}

function runProxy(upstreamPort: number): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    const up = httpRequest({ host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => ready({ port: (server.address() as { port: number }).port }));
}

async function runTollgate(upstreamPort: number, databaseUrl: string): Promise<void> {
  const dist = resolve(__dirname, '..', 'dist');
  const { NestFactory } = require('@nestjs/core');
  const { AppModule } = require(`${dist}/app.module`);
  const { configureApp } = require(`${dist}/app.setup`);
  const { CryptoService } = require(`${dist}/common/crypto/crypto.service`);
  const { TokenEntity } = require(`${dist}/tokens/entities/token.entity`);
  const { DataSource } = require('typeorm');
  Object.assign(process.env, {
    DATABASE_URL: databaseUrl,
    TOLLGATE_SECRET: 'bench-master-secret-0123456789abcdef0123456789',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', // as deployed: one JSON line per request (to /dev/null here)
    NODE_ENV: 'production',
  });
  const app = await NestFactory.create(AppModule.forRoot(), { bodyParser: false, bufferLogs: true });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const port = app.getHttpServer().address().port;
  const init = await request(`http://127.0.0.1:${port}/1/users/init`, { method: 'POST' });
  const root = (await init.body.json()) as { token: string };
  const auth = { authorization: `Bearer ${root.token}`, 'content-type': 'application/json' };
  const key = await request(`http://127.0.0.1:${port}/1/keys`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ key: 'sk-bench-upstream-key', name: 'stub', endpoint: `http://127.0.0.1:${upstreamPort}/v1` }),
  });
  await key.body.text();
  if (process.env.BENCH_SQLITE_SYNCHRONOUS && databaseUrl.startsWith('sqlite:')) {
    // what-if: PRAGMA synchronous for the WAL file (the app default is FULL: one fsync per commit)
    await app.get(DataSource).query(`PRAGMA synchronous = ${process.env.BENCH_SQLITE_SYNCHRONOUS}`);
  }
  const crypto = app.get(CryptoService);
  const key48 = crypto.randomAlphanumeric(48);
  await app.get(DataSource).getRepository(TokenEntity).insert({
    userId: 1, name: 'bench', keyHash: crypto.hash(key48), keyCiphertext: crypto.encrypt(key48), keyPrefix: key48.slice(0, 8), keySuffix: key48.slice(-4),
    status: 1, createdTime: Math.floor(Date.now() / 1000), accessedTime: 0, expiredTime: -1, remainQuota: 1_000_000_000_000, usedQuota: 0,
    unlimitedQuota: false, modelLimitsEnabled: false, modelLimits: '', allowIps: '', group: '', selectedGroups: '[]',
  });
  ready({ port, token: `sk-${key48}` });
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  child: ChildProcess;
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill()));

function spawn(role: string, ...args: string[]): Promise<{ child: ChildProcess; info: { port: number; token?: string } }> {
  return new Promise((resolveSpawn, reject) => {
    const child = fork(__filename, [role, ...args], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    child.once('message', (info) => resolveSpawn({ child, info: info as { port: number; token?: string } }));
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

async function cannon(target: Target, connections: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const autocannon = require('autocannon');
  const result = await autocannon({
    url: `${target.url}/v1/chat/completions`,
    method: 'POST',
    connections,
    duration: DURATION,
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: BODY,
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function ttfb(target: Target): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < TTFB_SAMPLES; i++) {
    const start = performance.now();
    const res = await request(`${target.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...target.headers, 'content-type': 'application/json' },
      body: STREAM_BODY,
    });
    let first = true;
    for await (const _chunk of res.body) {
      if (first) samples.push(performance.now() - start);
      first = false;
    }
  }
  return samples;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function createMariaDb(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const { createConnection } = require('mysql2/promise');
  const u = new URL(serverUrl.replace(/^mariadb:/, 'mysql:'));
  const name = `tollgate_bench_${process.pid}`;
  const admin = () => createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
  const c = await admin();
  await c.query(`CREATE DATABASE \`${name}\``);
  await c.end();
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const d = await admin();
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    },
  };
}

async function main(): Promise<void> {
  const stub = await spawn('stub');
  const stubUrl = `http://127.0.0.1:${stub.info.port}`;
  const proxy = await spawn('proxy', String(stub.info.port));
  const sqliteFile = `/tmp/tollgate-bench-${process.pid}.sqlite`;
  const targets: Target[] = [
    { name: 'direct (stub)', url: stubUrl, headers: { authorization: 'Bearer sk-bench-upstream-key' }, child: stub.child },
    { name: 'bare node:http proxy', url: `http://127.0.0.1:${proxy.info.port}`, headers: { authorization: 'Bearer sk-bench-upstream-key' }, child: proxy.child },
  ];
  const sqlite = await spawn('tollgate', String(stub.info.port), `sqlite:${sqliteFile}`);
  targets.push({ name: 'Tollgate (SQLite)', url: `http://127.0.0.1:${sqlite.info.port}`, headers: { authorization: `Bearer ${sqlite.info.token}` }, child: sqlite.child });
  let maria: { url: string; drop: () => Promise<void> } | undefined;
  if (process.env.TEST_DATABASE_URL) {
    maria = await createMariaDb(process.env.TEST_DATABASE_URL);
    const m = await spawn('tollgate', String(stub.info.port), maria.url);
    targets.push({ name: 'Tollgate (MariaDB)', url: `http://127.0.0.1:${m.info.port}`, headers: { authorization: `Bearer ${m.info.token}` }, child: m.child });
  }

  const results = new Map<string, { rps: number[]; p50: number[]; p99: number[]; s50: number[]; s99: number[]; errors: number; ttfb: number[] }>();
  for (const t of targets) results.set(t.name, { rps: [], p50: [], p99: [], s50: [], s99: [], errors: 0, ttfb: [] });
  for (const t of targets) await cannon(t, 8); // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of targets) {
      const r = results.get(t.name)!;
      const c32 = await cannon(t, 32);
      const c1 = await cannon(t, 1);
      r.rps.push(c32.rps);
      r.p50.push(c32.p50);
      r.p99.push(c32.p99);
      r.s50.push(c1.p50);
      r.s99.push(c1.p99);
      r.errors += c32.errors + c1.errors;
      process.stderr.write(`round ${round} ${t.name}: ${Math.round(c32.rps)} req/s @32, p50 ${c1.p50} ms @1\n`);
    }
    for (const t of targets) results.get(t.name)!.ttfb.push(...(await ttfb(t)));
  }

  // autocannon reports integer milliseconds; per-request one-at-a-time latency below 1 ms needs finer timing:
  const fine = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const xs = fine.get(t.name) ?? [];
      for (let i = 0; i < 500; i++) {
        const start = performance.now();
        const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { ...t.headers, 'content-type': 'application/json' }, body: BODY });
        await res.body.text();
        xs.push(performance.now() - start);
      }
      fine.set(t.name, xs);
    }
  }

  const rows = targets.map((t) => {
    const r = results.get(t.name)!;
    const f = fine.get(t.name)!;
    return {
      target: t.name,
      'req/s @32': Math.round(median(r.rps)),
      'p50 @32 ms': median(r.p50),
      'p99 @32 ms': median(r.p99),
      'p50 @1 ms': +pct(f, 50).toFixed(3),
      'p99 @1 ms': +pct(f, 99).toFixed(3),
      'stream TTFB p50 ms': +pct(r.ttfb, 50).toFixed(3),
      'stream TTFB p99 ms': +pct(r.ttfb, 99).toFixed(3),
      errors: r.errors,
    };
  });
  console.table(rows);
  const direct = rows[0];
  const bare = rows[1];
  for (const row of rows.slice(1)) {
    console.log(
      `${row.target}: added latency @1 p50 ${(row['p50 @1 ms'] - direct['p50 @1 ms']).toFixed(3)} ms, p99 ${(row['p99 @1 ms'] - direct['p99 @1 ms']).toFixed(3)} ms; ` +
        `stream TTFB added p50 ${(row['stream TTFB p50 ms'] - direct['stream TTFB p50 ms']).toFixed(3)} ms; ` +
        `throughput ${(row['req/s @32'] / bare['req/s @32']).toFixed(3)} x bare proxy`,
    );
  }
  for (const t of targets) t.child.kill('SIGINT');
  await maria?.drop();
  require('node:fs').rmSync(sqliteFile, { force: true });
  require('node:fs').rmSync(`${sqliteFile}-wal`, { force: true });
  require('node:fs').rmSync(`${sqliteFile}-shm`, { force: true });
  process.exit(0);
}

process.on('SIGINT', () => process.exit(0));
if (ROLE === 'stub') void runStub();
else if (ROLE === 'proxy') runProxy(Number(process.argv[3]));
else if (ROLE === 'tollgate') runTollgate(Number(process.argv[3]), process.argv[4]).catch((e) => {
  process.stderr.write(`tollgate child: ${e.stack}\n`);
  process.exit(1);
});
else main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
