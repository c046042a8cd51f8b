import { createServer, type Server } from 'node:net';
import { ChildRun, freePort, runChildServer } from '../support/child-server';

/** Non-empty output lines. */
const lines = (run: ChildRun) => (run.stdout + run.stderr).split('\n').filter((line) => line.trim() !== '');
/** The JSON log lines of stdout, parsed. */
const jsonLines = (run: ChildRun) => run.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string; database?: string });

/**
 * What an operator sees when the server is started with a bad setting: the real entry point in a
 * child process (`dist/main.js` when the build is fresh, `src/main.ts` otherwise: see ServerEntry),
 * its output and exit code. The runs start together in beforeAll (each a cold start of the whole
 * app) and each test reads its own. The pretty format (a terminal in development) is covered by
 * log-destination.spec.ts.
 */
describe('Operators: starting the server', () => {
  const secret = 'operator-test-secret-0123456789abcdef0123';
  let taken: Server;
  let takenPort: number;
  const runs: Record<string, Promise<ChildRun>> = {};

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((done) => taken.listen(0, done));
    takenPort = (taken.address() as { port: number }).port;
    const closedPort = await freePort();
    runs.badPort = runChildServer({ PORT: 'abc' });
    runs.takenPort = runChildServer({ PORT: String(takenPort), DATABASE_URL: 'sqlite::memory:', TOLLGATE_SECRET: secret });
    runs.unreachable = runChildServer(
      { DATABASE_URL: `mysql://tollgate:pw@127.0.0.1:${closedPort}/tollgate_ops`, TOLLGATE_SECRET: secret },
      { until: /not reachable/ },
    );
    runs.json = runChildServer({ DATABASE_URL: 'sqlite::memory:', TOLLGATE_SECRET: secret }, { until: /Listening on/ });
    const server = process.env.TEST_DATABASE_URL;
    if (server) {
      const unknown = new URL(server.replace(/^mariadb:/, 'mysql:'));
      unknown.pathname = '/tollgate_no_such_database';
      runs.unknownDatabase = runChildServer({ DATABASE_URL: unknown.toString(), TOLLGATE_SECRET: secret });
      const denied = new URL(unknown.toString());
      denied.username = 'tollgate_no_such_user';
      denied.password = 'wrong';
      denied.pathname = '/test';
      runs.accessDenied = runChildServer({ DATABASE_URL: denied.toString(), TOLLGATE_SECRET: secret });
    }
    await Promise.allSettled(Object.values(runs));
  }, 300_000);
  afterAll(() => new Promise((done) => taken?.close(done)));

  it('an invalid variable: one line naming it and what is wrong, exit 1', async () => {
    const run = await runs.badPort;
    expect(run.code).toBe(1);
    expect(lines(run)).toEqual(['Tollgate did not start: Invalid environment: PORT must be an integer number (got "abc")']);
  });

  it('a taken port: one line naming it, exit 1, and nothing claimed the server had started', async () => {
    const run = await runs.takenPort;
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`Tollgate did not start: PORT ${takenPort} is already in use (EADDRINUSE)`);
    expect(run.stdout).not.toMatch(/successfully started|Listening on/);
  });

  it('an unreachable database: the first failure is logged at once in the log format, naming host and database', async () => {
    const run = await runs.unreachable;
    const failures = jsonLines(run).filter((line) => /not reachable/.test(line.msg));
    expect(failures).toHaveLength(1); // the first attempt's line, not the retries' at the end
    expect(failures[0].level).toBe(40);
    expect(failures[0].database).toMatch(/^mysql:\/\/tollgate@127\.0\.0\.1:\d+\/tollgate_ops$/);
    expect(failures[0].msg).toMatch(/ not reachable: connect ECONNREFUSED 127\.0\.0\.1:\d+; attempt 1 of 10, next in 3 s$/);
    expect(run.stdout).not.toContain(':pw@'); // no password in the log
  });

  it('a normal start logs one line with the address and Swagger UI, as JSON when stdout is not a terminal', async () => {
    const run = await runs.json;
    const listening = jsonLines(run).filter((line) => line.msg.startsWith('Listening on'));
    expect(listening).toHaveLength(1);
    expect(listening[0].msg).toMatch(/^Listening on http:\/\/localhost:(\d+) \(port \1, all interfaces\); Swagger UI at http:\/\/localhost:\1\/docs$/);
    expect(run.stdout.indexOf('successfully started')).toBeLessThan(run.stdout.indexOf('Listening on'));
  });

  const onMariaDb = process.env.TEST_DATABASE_URL ? it : it.skip;

  onMariaDb('an unknown database stops the start at once: one line naming host and database, no retry', async () => {
    const run = await runs.unknownDatabase;
    expect(run.code).toBe(1);
    expect(lines(run)).toEqual([expect.stringMatching(/^Tollgate did not start: Database mysql:\/\/\w+@127\.0\.0\.1:3306\/tollgate_no_such_database: Unknown database 'tollgate_no_such_database' \(ER_BAD_DB_ERROR\)$/)]);
  });

  onMariaDb('denied access stops the start at once: one line, no retry, no password', async () => {
    const run = await runs.accessDenied;
    expect(run.code).toBe(1);
    expect(lines(run)).toEqual([expect.stringMatching(/^Tollgate did not start: Database mysql:\/\/tollgate_no_such_user@127\.0\.0\.1:3306\/test: Access denied for user 'tollgate_no_such_user'.*\(ER_ACCESS_DENIED_ERROR\)$/)]);
    expect(lines(run)[0]).not.toContain('wrong');
  });
});
