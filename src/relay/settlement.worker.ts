/**
 * The settlement writer thread (SQLite files only): its own better-sqlite3 connection to the
 * database file, writing the batches MeteringService hands it with {@link writeSettlements},
 * one at a time, while the main thread keeps serving requests. Message in: `{ id, batch }` or
 * `{ close: true }`; out: `{ id, charged }` or `{ id, error }`.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { sqliteRunner } from '../database/sql-runner';
import { applySqlitePragmas } from '../database/sqlite-pragmas';
import { Settlement, writeSettlements } from './settlement-batch';

const db = new Database((workerData as { file: string }).file);
applySqlitePragmas(db);
const runner = sqliteRunner(db);

parentPort!.on('message', (message: { id: number; batch: Settlement[] } | { close: true }) => {
  if ('close' in message) {
    db.close();
    parentPort!.close();
    return;
  }
  writeSettlements(runner, message.batch, 'BEGIN IMMEDIATE').then(
    (charged) => parentPort!.postMessage({ id: message.id, charged }),
    (error: Error & { code?: string }) => parentPort!.postMessage({ id: message.id, error: `${error.code ? `${error.code}: ` : ''}${error.message}` }),
  );
});
