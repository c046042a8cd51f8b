/** How the fuzz runs, from the environment. */
export interface FuzzSettings {
  /** fast-check seed (`FUZZ_SEED`, an integer, or `random` for a fresh one; default fixed so CI runs the same requests). */
  seed: number;
  /** Generated requests per operation at most (`FUZZ_RUNS`; default 40 on SQLite, 20 when MariaDB runs too). */
  runs: number;
  /** Time for all operations of one database together, in ms (`FUZZ_BUDGET_MS`, default 45000), shared equally. */
  budgetMs: number;
  /** Longest time for a whole answer, in ms (`FUZZ_REQUEST_MS`, default 5000): slower counts as a hang. */
  requestMs: number;
  /** Only these operationIds (`FUZZ_ONLY=changePassword,login`), to reproduce a failure. */
  only?: string[];
  /** Shrink a failing request to a smallest one (`FUZZ_SHRINK=1`; off by default, it costs requests). */
  shrink: boolean;
  /** No summary line (`FUZZ_QUIET=1`). */
  quiet: boolean;
}

/** The default seed: any fixed integer; change it on purpose to walk other requests in CI. */
const DEFAULT_SEED = 20261218;

/**
 * Reads {@link FuzzSettings} from `process.env`.
 * @throws Error naming the variable when one is not a positive integer
 */
export function fuzzSettings(env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  const int = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a positive integer (got ${JSON.stringify(raw)})`);
    return Number(raw);
  };
  const seed = env.FUZZ_SEED === 'random' ? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0 : int('FUZZ_SEED', DEFAULT_SEED);
  return {
    seed,
    runs: int('FUZZ_RUNS', env.TEST_DATABASE_URL ? 20 : 40),
    budgetMs: int('FUZZ_BUDGET_MS', 45_000),
    requestMs: int('FUZZ_REQUEST_MS', 5_000),
    only: env.FUZZ_ONLY ? env.FUZZ_ONLY.split(',').map((s) => s.trim()) : undefined,
    shrink: env.FUZZ_SHRINK === '1',
    quiet: env.FUZZ_QUIET === '1',
  };
}
