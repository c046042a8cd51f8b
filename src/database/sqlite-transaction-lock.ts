import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * Serializes transactions on the embedded SQLite database.
 *
 * TypeORM's better-sqlite3 driver hands every caller the same QueryRunner on one connection and
 * treats a second `startTransaction` as a nested SAVEPOINT, so two requests' transactions would
 * interleave: one's COMMIT could release the other's savepoint, one's ROLLBACK could undo the
 * other's writes, and a plain statement from a third request could land inside either. This lock
 * makes a top-level transaction exclusive: it is taken at `startTransaction` and given back when
 * the depth returns to 0; statements from outside the holder's async context wait until it is free.
 * The holder is recognised through AsyncLocalStorage: every `transaction()` and every implicit
 * transaction of `save()`/`remove()` runs in a scope of its own (see {@link scoped}), so siblings
 * started from one request (`Promise.all`) are told apart, while work inside a transaction keeps
 * its scope and nests as a SAVEPOINT.
 */
export class SqliteTransactionLock {
  private holder: symbol | undefined;
  private waiters: (() => void)[] = [];
  readonly scope = new AsyncLocalStorage<symbol>();

  /** True when the current async context runs inside the open transaction. */
  get insideHolder(): boolean {
    return this.holder !== undefined && this.scope.getStore() === this.holder;
  }

  /** Resolves when no transaction is open (at once when none is). */
  async whenFree(): Promise<void> {
    while (this.holder !== undefined) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Patches the data source's shared SQLite query runner; a no-op for other drivers. */
  install(dataSource: DataSource): void {
    if (dataSource.driver.options.type !== 'better-sqlite3') return;
    const runner = dataSource.createQueryRunner() as QueryRunner & { transactionDepth: number };
    const start = runner.startTransaction.bind(runner);
    const commit = runner.commitTransaction.bind(runner);
    const rollback = runner.rollbackTransaction.bind(runner);
    const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;

    runner.startTransaction = (isolationLevel?: Parameters<QueryRunner['startTransaction']>[0]) => {
      if (this.insideHolder) return start(isolationLevel); // nested: SAVEPOINT
      let token = this.scope.getStore();
      if (token === undefined) {
        // a caller that did not go through a scoped EntityManager method (e.g. a raw QueryRunner)
        token = Symbol('sqlite-transaction');
        this.scope.enterWith(token);
      }
      return (async () => {
        await this.acquire(token!);
        try {
          await start(isolationLevel);
        } catch (error) {
          this.release(token!);
          throw error;
        }
      })();
    };
    const finish = (end: () => Promise<void>) => async () => {
      const token = this.holder;
      try {
        await end();
      } finally {
        if (runner.transactionDepth === 0 && token !== undefined) this.release(token);
      }
    };
    runner.commitTransaction = finish(commit);
    runner.rollbackTransaction = finish(rollback);
    runner.query = (async (...args: unknown[]) => {
      while (this.holder !== undefined && this.scope.getStore() !== this.holder) await this.whenFree();
      return query(...args);
    }) as QueryRunner['query'];
    registry.set(dataSource, this);
    patchEntityManagerOnce();
  }

  private async acquire(token: symbol): Promise<void> {
    while (this.holder !== undefined) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.holder = token;
  }

  private release(token: symbol): void {
    if (this.holder !== token) return;
    this.holder = undefined;
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }
}

const registry = new WeakMap<DataSource, SqliteTransactionLock>();

let patched = false;

/**
 * Wraps EntityManager's transaction-opening methods so each call on a locked (SQLite) data source
 * runs in a fresh async scope, unless it already runs inside the open transaction.
 */
function patchEntityManagerOnce(): void {
  if (patched) return;
  patched = true;
  const proto = EntityManager.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['transaction', 'save', 'remove', 'softRemove', 'recover']) {
    const original = proto[name];
    proto[name] = function (this: EntityManager, ...args: unknown[]) {
      const lock = registry.get(this.connection);
      if (!lock || lock.insideHolder) return original.apply(this, args);
      return lock.scope.run(Symbol(`sqlite-${name}`), () => original.apply(this, args));
    };
  }
}
