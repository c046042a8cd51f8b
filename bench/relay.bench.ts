/**
 * `npm run bench:relay`: the relay's hot path (token lookup, policy, quota lease, settle,
 * record) against a stub upstream. Targets, each in its own process: the stub itself (direct),
 * a bare node:http pass-through proxy (bare-proxy.js) and Tollgate as deployed (`node dist/main.js`)
 * on SQLite, plus MariaDB when TEST_DATABASE_URL is set. The proxy and Tollgate run on plain node.
 * Rounds interleave the targets; each round measures concurrency 32 (autocannon) and one request
 * at a time, then time to first byte of streams. Each Tollgate is measured twice per round: with
 * the bench token, and with a second token of the same instance carrying rate limits
 * (`rpm_limit`, `tpm_limit`, `max_parallel_requests`, set high enough never to refuse) and a
 * daily quota reset, so the cost of the limits is read from paired rounds on one process.
 * Load comes from autocannon in a plain-node child (load.js); each target first gets
 * BENCH_WARMUP_SECONDS (15) of load at concurrency 32. Prints medians over rounds.
 * Run `npm run build` first (the script does it).
 */
import { ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';

const ROLE = process.argv[2] ?? 'main';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
/** Seconds of load per target before measuring: a server is measured in its steady state (JIT, heap sizes, caches). */
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);
const TTFB_SAMPLES = Number(process.env.BENCH_TTFB_SAMPLES ?? 300);
const BODY = JSON.stringify({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 100 });
const STREAM_BODY = JSON.stringify({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 100, stream: true });
/** Prose of about `bytes` bytes (English words, as a long prompt would be). */
const prose = (bytes: number) => 'The quick brown fox jumps over the lazy dog while the sea keeps its own counsel. '.repeat(Math.ceil(bytes / 81)).slice(0, bytes);
/** A 34 KB prompt: one request at a time, its added latency against the bare proxy's. */
const BODY_34K = JSON.stringify({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: prose(34 * 1024) }], max_tokens: 100 });
/** A 2 MB prompt (within the default BODY_LIMIT): how long it holds the event loop, seen as /healthz delay. */
const BODY_2M = JSON.stringify({ model: 'gpt-3.5-turbo', messages: [{ role: 'user', content: prose(2_000_000) }], max_tokens: 100 });

function ready(info: object): void {
  process.send?.(info);
}

async function runStub(): Promise<void> {
  const { StubUpstream } = require('../test/support/stub-upstream') as typeof import('../test/support/stub-upstream');
  const stub = await StubUpstream.start();
  stub.record = false;
  ready({ port: stub.port });
}

/**
 * Starts Tollgate as deployed: `node dist/main.js` (plain node, production mode, one JSON log line
 * per request at `info`, to /dev/null here) on `databaseUrl`; then, through its own API, the root
 * user, one upstream key on the stub and two tokens with a large finite quota (so every request
 * takes the reserve/settle path): `token` without limits, `limitedToken` with rate limits and a
 * daily reset that never bind here. Resolves once it answers.
 */
async function startTollgate(upstreamPort: number, databaseUrl: string): Promise<{ child: ChildProcess; port: number; token: string; limitedToken: string }> {
  const port = await freePort();
  const child = fork(resolve(__dirname, '..', 'dist', 'main.js'), [], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      TOLLGATE_SECRET: 'bench-master-secret-0123456789abcdef0123456789',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      NODE_ENV: 'production',
      REDIS_URL: '',
    },
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`Tollgate exited with ${child.exitCode}`);
    const up = await request(`${base}/readyz`).then((r) => r.body.text().then(() => r.statusCode === 200), () => false);
    if (up) break;
    if (i > 300) throw new Error('Tollgate did not answer /readyz within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const call = async (method: 'GET' | 'POST', path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await request(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  };
  const root = (await call('POST', '/1/users/init', undefined)) as { id: number; token: string };
  const auth = { authorization: `Bearer ${root.token}`, 'new-api-user': String(root.id) };
  await call('POST', '/1/keys', { key: 'sk-bench-upstream-key', name: 'stub', endpoint: `http://127.0.0.1:${upstreamPort}/v1` }, auth);
  const newToken = async (fields: Record<string, unknown>) => {
    await call('POST', '/api/token/', { remain_quota: 1_000_000_000_000, expired_time: -1, unlimited_quota: false, ...fields }, auth);
    // create answers no data (seed 002): the id from the list (newest first), the key (without sk-) from reveal, as new-api's front end does
    const listed = (await call('GET', '/api/token/?p=1&size=1', undefined, auth)) as { data: { items: { id: number }[] } };
    const revealed = (await call('POST', `/api/token/${listed.data.items[0].id}/key`, undefined, auth)) as { data: { key: string } };
    return `sk-${revealed.data.key}`;
  };
  const token = await newToken({ name: 'bench' });
  const limitedToken = await newToken({
    name: 'bench-limits',
    rpm_limit: 100_000_000,
    tpm_limit: 1_000_000_000,
    max_parallel_requests: 10_000,
    quota_reset_period: 'daily',
    quota_reset_amount: 1_000_000_000_000,
  });
  return { child, port, token, limitedToken };
}

/** A loopback port nobody listens on right now (for Tollgate's PORT). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  child: ChildProcess;
  /** For a Tollgate measured with the limited token: the name of the same instance's target without limits. */
  limitsOf?: string;
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill()));

/** Forks `script` (this file under ts-node by default) and waits for the port it reports over IPC. */
function spawn(role: string, args: string[], script = __filename, execArgv = process.execArgv): Promise<{ child: ChildProcess; info: { port: number } }> {
  return new Promise((resolveSpawn, reject) => {
    const child = fork(script, [role, ...args], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    child.once('message', (info) => resolveSpawn({ child, info: info as { port: number } }));
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

/** Concurrency `connections` against `target` for `duration` seconds, from the plain-node load generator (load.js). */
function cannon(target: Target, connections: number, duration = DURATION): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const options = {
    url: `${target.url}/v1/chat/completions`,
    method: 'POST',
    connections,
    duration,
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: BODY,
  };
  return new Promise((resolveLoad, reject) => {
    const child = fork(resolve(__dirname, 'load.js'), [JSON.stringify(options)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (result) => resolveLoad(result as { rps: number; p50: number; p99: number; errors: number }));
    child.once('exit', (code) => (code ? reject(new Error(`load generator exited with ${code}`)) : undefined));
  });
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
  const stub = await spawn('stub', []);
  const stubUrl = `http://127.0.0.1:${stub.info.port}`;
  const proxy = await spawn(String(stub.info.port), [], resolve(__dirname, 'bare-proxy.js'), []);
  const sqliteFile = `/tmp/tollgate-bench-${process.pid}.sqlite`;
  const targets: Target[] = [
    { name: 'direct (stub)', url: stubUrl, headers: { authorization: 'Bearer sk-bench-upstream-key' }, child: stub.child },
    { name: 'bare node:http proxy', url: `http://127.0.0.1:${proxy.info.port}`, headers: { authorization: 'Bearer sk-bench-upstream-key' }, child: proxy.child },
  ];
  const addTollgate = (name: string, t: Awaited<ReturnType<typeof startTollgate>>) => {
    targets.push({ name, url: `http://127.0.0.1:${t.port}`, headers: { authorization: `Bearer ${t.token}` }, child: t.child });
    targets.push({ name: `${name} + limits`, url: `http://127.0.0.1:${t.port}`, headers: { authorization: `Bearer ${t.limitedToken}` }, child: t.child, limitsOf: name });
  };
  addTollgate('Tollgate (SQLite)', await startTollgate(stub.info.port, `sqlite:${sqliteFile}`));
  let maria: { url: string; drop: () => Promise<void> } | undefined;
  if (process.env.TEST_DATABASE_URL) {
    maria = await createMariaDb(process.env.TEST_DATABASE_URL);
    addTollgate('Tollgate (MariaDB)', await startTollgate(stub.info.port, maria.url));
  }
  /** Targets of the size and responsiveness figures (the limited token's answers are the same bytes). */
  const plain = targets.filter((t) => !t.limitsOf);

  const results = new Map<string, { rps: number[]; p50: number[]; p99: number[]; s50: number[]; s99: number[]; errors: number; ttfb: number[] }>();
  for (const t of targets) results.set(t.name, { rps: [], p50: [], p99: [], s50: [], s99: [], errors: 0, ttfb: [] });
  for (const t of targets) await cannon(t, 32, WARMUP);
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

  // a 34 KB prompt, one request at a time, on the proxies
  const big = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of plain.slice(1)) {
      const xs = big.get(t.name) ?? [];
      for (let i = 0; i < 200; i++) {
        const start = performance.now();
        const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { ...t.headers, 'content-type': 'application/json' }, body: BODY_34K });
        await res.body.text();
        xs.push(performance.now() - start);
      }
      big.set(t.name, xs);
    }
  }

  // 2 MB prompts, one after another, while /healthz is asked every 2 ms: the slowest /healthz answer
  const healthz = new Map<string, number[]>();
  for (const t of plain.slice(2)) {
    const delays: number[] = [];
    let sending = true;
    const bigOnes = (async () => {
      for (let i = 0; i < 5 * ROUNDS; i++) {
        const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { ...t.headers, 'content-type': 'application/json' }, body: BODY_2M });
        await res.body.text();
      }
      sending = false;
    })();
    while (sending) {
      const start = performance.now();
      const res = await request(`${t.url}/healthz`);
      await res.body.text();
      delays.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, 2));
    }
    await bigOnes;
    healthz.set(t.name, delays);
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
      '34 KB p50 @1 ms': big.has(t.name) ? +pct(big.get(t.name)!, 50).toFixed(3) : NaN,
      '/healthz max ms (2 MB prompts)': healthz.has(t.name) ? +Math.max(...healthz.get(t.name)!).toFixed(1) : NaN,
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
  for (const t of targets.filter((x) => x.limitsOf)) {
    const limited = results.get(t.name)!;
    const free = results.get(t.limitsOf!)!;
    const ratios = limited.rps.map((rps, i) => rps / free.rps[i]);
    const fineDelta = pct(fine.get(t.name)!, 50) - pct(fine.get(t.limitsOf!)!, 50);
    console.log(
      `${t.name}: throughput ${median(ratios).toFixed(3)} x the same instance without limits (median of per-round ratios ${ratios.map((r) => r.toFixed(3)).join(', ')}), ` +
        `@1 p50 ${fineDelta >= 0 ? '+' : ''}${fineDelta.toFixed(3)} ms`,
    );
  }
  for (const row of rows.filter((r) => healthz.has(r.target))) {
    console.log(
      `${row.target} over the bare proxy: @1 p50 +${(row['p50 @1 ms'] - bare['p50 @1 ms']).toFixed(3)} ms, ` +
        `stream TTFB p50 +${(row['stream TTFB p50 ms'] - bare['stream TTFB p50 ms']).toFixed(3)} ms, ` +
        `34 KB prompt p50 +${(row['34 KB p50 @1 ms'] - bare['34 KB p50 @1 ms']).toFixed(3)} ms; ` +
        `slowest /healthz beside 2 MB prompts ${row['/healthz max ms (2 MB prompts)']} ms`,
    );
  }
  for (const t of new Set(targets.map((x) => x.child))) t.kill('SIGINT');
  await maria?.drop();
  require('node:fs').rmSync(sqliteFile, { force: true });
  require('node:fs').rmSync(`${sqliteFile}-wal`, { force: true });
  require('node:fs').rmSync(`${sqliteFile}-shm`, { force: true });
  process.exit(0);
}

process.on('SIGINT', () => process.exit(0));
if (ROLE === 'stub') void runStub();
else main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
