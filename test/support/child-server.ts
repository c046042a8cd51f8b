import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** A Tollgate server in a child process (the real `src/main.ts` through ts-node, or the built `dist/main.js`). */
export interface ChildServer {
  url: string;
  process: ChildProcess;
  /** SIGKILL: no shutdown hook runs. */
  kill(): Promise<void>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/**
 * Starts `src/main.ts` (or, with `entry: 'built'`, what `npm run build` made: `dist/main.js`, whose
 * OpenAPI document has the Swagger CLI plugin's metadata) with `env` on a free port and resolves
 * once `GET /readyz` answers 200.
 * @throws when it has not started within `timeoutMs` (its output is in the message)
 */
export async function startChildServer(env: Record<string, string>, timeoutMs = 60_000, entry: 'source' | 'built' = 'source'): Promise<ChildServer> {
  const port = await freePort();
  const root = resolve(__dirname, '../..');
  const args = entry === 'built' ? ['dist/main.js'] : ['-r', 'ts-node/register/transpile-only', 'src/main.ts']; // ts-node compiles with SWC (TS_NODE_SWC below)
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, TS_NODE_SWC: 'true', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the child server exited (${child.exitCode}): ${output.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the child server did not start within ${timeoutMs} ms: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What a child server printed, and how it ended. */
export interface ChildRun {
  /** Exit code, or null when it was stopped after `until` matched. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to exit (or to the match). */
  ms: number;
}

/**
 * Runs `src/main.ts` with `env` (PORT defaults to a free port; `NODE_ENV=development`, no
 * DATABASE_URL unless given) until it exits, or until its output matches `until` (then SIGTERM).
 * @throws when neither happens within `timeoutMs`
 */
export async function runChildServer(env: Record<string, string>, options: { until?: RegExp; timeoutMs?: number } = {}): Promise<ChildRun> {
  const root = resolve(__dirname, '../..');
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL', 'LOG_FORMAT', 'TOLLGATE_SECRET']) delete base[name];
  const started = Date.now();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { ...base, TS_NODE_SWC: 'true', NODE_ENV: 'development', PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let matchedAt: number | undefined;
  const check = () => {
    if (options.until && matchedAt === undefined && options.until.test(stdout + stderr)) {
      matchedAt = Date.now();
      child.kill('SIGTERM');
    }
  };
  child.stdout!.on('data', (chunk) => ((stdout += chunk), check()));
  child.stderr!.on('data', (chunk) => ((stderr += chunk), check()));
  const timeoutMs = options.timeoutMs ?? 180_000;
  const code = await new Promise<number | null>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the child server neither exited nor printed ${options.until} within ${timeoutMs} ms: ${(stdout + stderr).slice(-2000)}`));
    }, timeoutMs);
    child.once('exit', (exitCode) => (clearTimeout(timer), done(exitCode)));
  });
  return { code: matchedAt === undefined ? code : null, stdout, stderr, ms: (matchedAt ?? Date.now()) - started };
}
