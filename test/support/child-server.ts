import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** Newest modification time (ms) of the files under `dir`. */
function newestMtime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }, 0);
}

/**
 * How to start the server: `built` runs `dist/main.js` (what `npm run build` made), `source` runs
 * `src/main.ts` through ts-node with SWC; `auto` takes the build when it is newer than every file of
 * `src/` (as in CI, which builds before `npm test`; a cold start of the build takes less than half
 * the time), the sources otherwise.
 */
export type ServerEntry = 'source' | 'built' | 'auto';

function entryArgs(entry: ServerEntry): string[] {
  const main = join(ROOT, 'dist/main.js');
  const built = entry === 'built' || (entry === 'auto' && existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(ROOT, 'src')));
  return built ? ['dist/main.js'] : ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
}

/** A Tollgate server in a child process (the real `src/main.ts` through ts-node, or the built `dist/main.js`). */
export interface ChildServer {
  url: string;
  process: ChildProcess;
  /** SIGKILL: no shutdown hook runs. */
  kill(): Promise<void>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** What it printed so far (stdout and stderr), and its exit code once it has exited. */
  output(): { text: string; exitCode: number | null };
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
 * Starts the server (see {@link ServerEntry}; `built` where the OpenAPI document must carry the
 * Swagger CLI plugin's metadata) with `env` on a free port and resolves once `GET /readyz` answers 200.
 * @throws when it has not started within `timeoutMs` (its output is in the message)
 */
export async function startChildServer(env: Record<string, string>, timeoutMs = 60_000, entry: ServerEntry = 'auto'): Promise<ChildServer> {
  const port = await freePort();
  const child = spawn(process.execPath, entryArgs(entry), {
    cwd: ROOT,
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
    output: () => ({ text: output, exitCode: child.exitCode }),
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
 * Runs the server (see {@link ServerEntry}) with `env` (PORT defaults to a free port; `NODE_ENV=development`, no
 * DATABASE_URL unless given) until it exits, or until its output matches `until` (then SIGTERM).
 * @throws when neither happens within `timeoutMs`
 */
export async function runChildServer(env: Record<string, string>, options: { until?: RegExp; timeoutMs?: number; entry?: ServerEntry } = {}): Promise<ChildRun> {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL', 'LOG_FORMAT', 'TOLLGATE_SECRET']) delete base[name];
  const started = Date.now();
  const child = spawn(process.execPath, entryArgs(options.entry ?? 'auto'), {
    cwd: ROOT,
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
