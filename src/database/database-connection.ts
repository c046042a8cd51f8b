import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** Error codes of a server that is not up or not reachable yet (network, DNS, restarts, a full server): worth another attempt. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);

/** How often and how far apart the first connection is tried. */
export interface ConnectRetry {
  attempts: number;
  delayMs: number;
}

/** Where log lines about the connection go (the app's pino logger). */
export interface ConnectLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The error's code (mysql2's `ER_…`, Node's `E…`, SQLite's `SQLITE_…`), also inside an AggregateError (one per address tried). */
function errorCode(error: unknown): string | undefined {
  const { code, errors } = (error ?? {}) as { code?: unknown; errors?: unknown[] };
  if (typeof code === 'string') return code;
  return Array.isArray(errors) ? errors.map(errorCode).find(Boolean) : undefined;
}

/** True when another attempt may succeed; an unknown database, denied access, a bad file or a failed migration never will. */
export function isTransientConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/**
 * The database the options point at, without credentials: `mysql://user@host:port/database`, or
 * `sqlite:<file>`. Safe for logs.
 */
export function describeDatabase(options: DataSourceOptions): string {
  if (options.type === 'mysql' || options.type === 'mariadb') {
    const url = new URL(options.url ?? 'mysql://localhost/');
    return `mysql://${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.hostname}:${url.port || 3306}${url.pathname}`;
  }
  return `sqlite:${String((options as { database?: unknown }).database)}`;
}

/** One line for an error: its message's first line and its code. */
function reason(error: unknown): string {
  const message = String((error as Error)?.message || (error as { errors?: Error[] })?.errors?.[0]?.message || error).split('\n')[0];
  const code = errorCode(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Initializes the data source (connects, runs pending migrations). A transient failure (server down
 * or unreachable) is logged at once, one line naming the database, and tried again every
 * `retry.delayMs` up to `retry.attempts` times; any other failure (unknown database, access denied,
 * an unopenable SQLite file, a failed migration) is not retried.
 * @throws Error with one line: `Database mysql://root@db:3306/tollgate: Unknown database 'tollgate' (ER_BAD_DB_ERROR)`
 */
export async function connectDataSource(options: DataSourceOptions, log: ConnectLog, retry: ConnectRetry = { attempts: 10, delayMs: 3000 }): Promise<DataSource> {
  const database = describeDatabase(options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await new DataSource(options).initialize();
    } catch (error) {
      const transient = isTransientConnectionError(error);
      if (!transient || attempt >= retry.attempts) {
        throw new Error(`Database ${database}: ${reason(error)}${transient ? `; gave up after ${attempt} attempts` : ''}`);
      }
      log.warn(
        { database, code: errorCode(error), attempt },
        `Database ${database} not reachable: ${reason(error)}; attempt ${attempt} of ${retry.attempts}, next in ${retry.delayMs / 1000} s`,
      );
      await sleep(retry.delayMs);
    }
  }
}
