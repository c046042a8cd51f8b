/**
 * The metering writer thread (SQLite files only): its own better-sqlite3 connection to the
 * database file, doing every write of the relay's hot path while the main thread serves requests.
 * Each message is one round trip of {@link MeteringWriter}: the reserves gathered meanwhile, in one
 * transaction (each its own conditional UPDATE, {@link reserveBatch}), then the settlements due, in
 * another ({@link writeSettlements}), so a failed settlement batch never refuses a request.
 * In: `WriterRequest` or `{ close: true }`; out: `WriterReply`.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { sqliteRunner } from '../database/sql-runner';
import { applySqlitePragmas } from '../database/sqlite-pragmas';
import { reserveBatch, writeSettlements } from './settlement-batch';
import type { WriterReply, WriterRequest } from './writer-thread';

const db = new Database((workerData as { file: string }).file);
applySqlitePragmas(db);
const runner = sqliteRunner(db);

/** The driver's code and message in one string (an Error does not cross the thread boundary whole). */
const describe = (error: Error & { code?: string }) => `${error.code ? `${error.code}: ` : ''}${error.message}`;

parentPort!.on('message', (message: WriterRequest | { close: true }) => {
  if ('close' in message) {
    db.close();
    parentPort!.close();
    return;
  }
  const reply: WriterReply = { id: message.id };
  if (message.reserves.length > 0) {
    try {
      reply.granted = reserveBatch(runner, message.reserves, message.now);
    } catch (error) {
      reply.reserveError = describe(error as Error);
    }
  }
  if (message.settlements.length === 0) {
    parentPort!.postMessage(reply);
    return;
  }
  writeSettlements(runner, message.settlements, 'BEGIN IMMEDIATE').then(
    (charged) => parentPort!.postMessage({ ...reply, charged }),
    (error: Error) => parentPort!.postMessage({ ...reply, settleError: describe(error) }),
  );
});
