/** A MySQL error as mysql2 reports it: `errno` from the server, `fatal` when the connection is gone. */
export type MysqlError = Error & { errno?: number; fatal?: boolean };

/** What this needs of a mysql2 connection (callback API) opened with `multipleStatements: true`. */
export interface MultiStatementConnection {
  /** Runs `sql`; the returned query emits `result` for each write's OK packet (each row of a SELECT), as it arrives. */
  query(sql: string, callback: (error: MysqlError | null, results: unknown) => void): { on(event: 'result', listener: (result: unknown) => void): unknown };
  on(event: 'error', listener: (error: Error) => void): void;
  end(callback?: (error?: Error) => void): void;
  destroy(): void;
}

/** Deadlock (1213) or lock wait timeout (1205): the server rolled the statement back; try again. */
export const isLockConflict = (error: unknown): boolean => {
  const errno = (error as { errno?: number }).errno;
  return errno === 1213 || errno === 1205;
};

/** Attempts of one write on deadlock or lock wait timeout. */
const MAX_LOCK_ATTEMPTS = 4;

/**
 * Runs `write` again on MySQL deadlock (1213) or lock wait timeout (1205), 4 times at most
 * (issue 4's reserve and settlement batches; the server rolled the failed attempt back).
 * @throws the last attempt's error, or at once any other error
 */
export async function retryOnLockConflict(write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= MAX_LOCK_ATTEMPTS || !isLockConflict(error)) throw error;
    }
  }
}

/**
 * One mysql2 connection for multi-statement texts (issue 4's metering), opened on first use and
 * replaced after a fatal error. Texts run one after another, in call order.
 */
export class MysqlTextConnection {
  private connection: MultiStatementConnection | undefined;
  /** False when every session of this connection runs with `autocommit = 0` (see the constructor). */
  readonly autocommit: boolean;

  /**
   * @param connect opens a mysql2 connection with `multipleStatements: true` (called again after a fatal error)
   * @param options `autocommit: false` sends `SET autocommit = 0` ahead of anything else on each
   *   connection opened (a connection on which it fails is dropped, so no text runs in the wrong mode)
   */
  constructor(
    private readonly connect: () => MultiStatementConnection,
    options: { autocommit?: boolean } = {},
  ) {
    this.autocommit = options.autocommit ?? true;
  }

  /**
   * Runs `sql` (one or more statements separated by `;`).
   * @param onResult called with each statement's result as it arrives, before the text has finished
   *   (one call per statement for writes; mysql2 would call it once per row of a SELECT)
   * @returns the results of the whole text (an array when it holds several statements)
   * @throws the driver's error for the first statement that failed (the later ones did not run)
   */
  query(sql: string, onResult?: (result: unknown, index: number) => void): Promise<unknown> {
    if (!this.connection) {
      const connection = this.connect();
      // a dead connection is replaced on the next query; the error itself reaches that query's callback
      connection.on('error', () => {
        if (this.connection === connection) this.connection = undefined;
      });
      this.connection = connection;
      if (!this.autocommit) {
        // queued ahead of the caller's text; should it fail, that text fails on the destroyed connection
        connection.query('SET autocommit = 0', (error) => {
          if (!error) return;
          if (this.connection === connection) this.connection = undefined;
          connection.destroy();
        });
      }
    }
    const connection = this.connection;
    return new Promise((resolve, reject) => {
      const query = connection.query(sql, (error, results) => {
        if (error?.fatal && this.connection === connection) {
          this.connection = undefined;
          connection.destroy();
        }
        return error ? reject(error) : resolve(results);
      });
      if (onResult) {
        let index = 0;
        query.on('result', (result) => onResult(result, index++));
      }
    });
  }

  /**
   * Runs `sql`, a text that opens and commits its own transaction (`START TRANSACTION; …; COMMIT`,
   * or `…; COMMIT` when the session has autocommit off: its first statement opens the transaction).
   * A failed statement stops the text there, inside the transaction: it is then ended with a
   * ROLLBACK (on a dead connection the server has already rolled it back) before the error is thrown.
   * @param onResult as for {@link query}
   * @returns the results of the whole text
   * @throws the driver's error for the statement that failed (nothing of the text is committed,
   *   unless it was the COMMIT's answer that was lost)
   */
  async transaction(sql: string, onResult?: (result: unknown, index: number) => void): Promise<unknown> {
    try {
      return await this.query(sql, onResult);
    } catch (error) {
      await this.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Closes the connection (once nothing more is to run on it). */
  close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    return new Promise((resolve) => (connection ? connection.end(() => resolve()) : resolve()));
  }
}
