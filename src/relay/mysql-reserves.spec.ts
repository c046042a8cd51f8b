import { EventEmitter } from 'node:events';
import { MysqlReserveBatcher } from './mysql-reserves';
import { MultiStatementConnection, MysqlError, MysqlTextConnection } from './mysql-text-connection';

/**
 * A connection stand-in: answers each query text with `answer(sql)`, an array of per-statement
 * results (emitted one by one, as mysql2 does) or an error. An error that carries `after` results
 * emits those first, as a text that fails at its later statement (the COMMIT) would.
 */
class FakeConnection implements MultiStatementConnection {
  readonly texts: string[] = [];
  constructor(private readonly answer: (sql: string, n: number) => unknown[] | (MysqlError & { after?: unknown[] })) {}

  query(sql: string, callback: (error: MysqlError | null, results: unknown) => void): EventEmitter {
    this.texts.push(sql);
    const answer = this.answer(sql, this.texts.length);
    const emitter = new EventEmitter();
    setImmediate(() => {
      const results = answer instanceof Error ? (answer.after ?? []) : answer;
      for (const result of results) emitter.emit('result', result);
      setImmediate(() => (answer instanceof Error ? callback(answer, undefined) : callback(null, results)));
    });
    return emitter;
  }
  on(): void {}
  end(callback?: () => void): void {
    callback?.();
  }
  destroy(): void {}
}

/** The multi-statement results for `affected` UPDATEs between START TRANSACTION and COMMIT. */
const results = (...affected: number[]) => [{ affectedRows: 0 }, ...affected.map((affectedRows) => ({ affectedRows })), { affectedRows: 0 }];
const batcherOn = (connection: FakeConnection, onLostCommit?: (error: Error, voided: number) => void) =>
  new MysqlReserveBatcher(new MysqlTextConnection(() => connection), onLostCommit);

describe('MysqlReserveBatcher (MySQL reserves, one round trip per batch)', () => {
  it('sends the reserves of one event-loop turn as one transaction of conditional UPDATEs and grants each by its affected rows', async () => {
    const connection = new FakeConnection(() => results(1, 0, 1));
    const batcher = batcherOn(connection);
    const granted = await Promise.all([batcher.reserve(7, 100), batcher.reserve(7, 500), batcher.reserve(9, 3)]);
    expect(granted).toEqual([{ tokenId: 7, unlimited: false, reserved: 100 }, undefined, { tokenId: 9, unlimited: false, reserved: 3 }]);
    expect(connection.texts).toHaveLength(1);
    const statements = connection.texts[0].split(';');
    expect(statements[0]).toBe('START TRANSACTION');
    expect(statements.at(-1)).toBe('COMMIT');
    expect(statements.slice(1, -1)).toEqual([
      expect.stringMatching(/^UPDATE tokens SET remain_quota = remain_quota - 100, used_quota = used_quota \+ 100, accessed_time = \d+ WHERE id = 7 AND remain_quota >= 100$/),
      expect.stringMatching(/WHERE id = 7 AND remain_quota >= 500$/),
      expect.stringMatching(/WHERE id = 9 AND remain_quota >= 3$/),
    ]);
  });

  it('answers the reserves when the last UPDATE result arrives, before the COMMIT has answered, and settled() waits for the COMMIT', async () => {
    let commitAnswered = false;
    const connection = new FakeConnection(() => results(1));
    const query = connection.query.bind(connection);
    connection.query = (sql, callback) => query(sql, (error, res) => ((commitAnswered = true), callback(error, res)));
    const batcher = batcherOn(connection);
    await expect(batcher.reserve(7, 100)).resolves.toEqual({ tokenId: 7, unlimited: false, reserved: 100 });
    expect(commitAnswered).toBe(false);
    await batcher.settled();
    expect(commitAnswered).toBe(true);
  });

  it('voids the reservations a batch granted when its COMMIT then fails: they read 0 by the time settled() resolves, and the loss is reported', async () => {
    const gone = Object.assign(new Error('Connection lost: The server closed the connection.'), { fatal: true, after: results(1, 0) });
    const connection = new FakeConnection((sql) => (sql === 'ROLLBACK' ? [] : gone));
    const lost: number[] = [];
    const batcher = batcherOn(connection, (_error, voided) => lost.push(voided));
    const [granted, refused] = await Promise.all([batcher.reserve(7, 100), batcher.reserve(8, 100)]);
    expect(granted).toEqual({ tokenId: 7, unlimited: false, reserved: 100 });
    expect(refused).toBeUndefined();
    await batcher.settled();
    expect(granted).toEqual({ tokenId: 7, unlimited: false, reserved: 0 });
    await batcher.drain();
    expect(lost).toEqual([1]);
    expect(connection.texts.filter((t) => t.startsWith('START'))).toHaveLength(1); // not retried: the requests went on
  });

  it('retries a batch the server rolled back for a deadlock, after ending the transaction', async () => {
    const deadlock = Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213, after: [{ affectedRows: 0 }, { affectedRows: 1 }] });
    const connection = new FakeConnection((sql, n) => (sql === 'ROLLBACK' ? [] : n === 1 ? deadlock : results(1, 1)));
    const batcher = batcherOn(connection);
    const granted = await Promise.all([batcher.reserve(1, 10), batcher.reserve(2, 10)]);
    expect(granted).toEqual([{ tokenId: 1, unlimited: false, reserved: 10 }, { tokenId: 2, unlimited: false, reserved: 10 }]);
    expect(connection.texts.map((t) => (t.startsWith('START') ? 'batch' : t))).toEqual(['batch', 'ROLLBACK', 'batch']);
  });

  it('retries a lone reserve refused for a lock wait timeout', async () => {
    const timeout = Object.assign(new Error('Lock wait timeout exceeded'), { errno: 1205, after: [{ affectedRows: 0 }] });
    const connection = new FakeConnection((sql, n) => (sql === 'ROLLBACK' ? [] : n === 1 ? timeout : results(1)));
    const batcher = batcherOn(connection);
    await expect(batcher.reserve(1, 10)).resolves.toEqual({ tokenId: 1, unlimited: false, reserved: 10 });
    expect(connection.texts.map((t) => (t.startsWith('START') ? 'batch' : t))).toEqual(['batch', 'ROLLBACK', 'batch']);
  });

  it('rejects every reserve of a batch that fails otherwise, and rolls its transaction back', async () => {
    const broken = Object.assign(new Error("Table 'tokens' doesn't exist"), { errno: 1146, after: [{ affectedRows: 0 }] });
    const connection = new FakeConnection((sql) => (sql === 'ROLLBACK' ? [] : broken));
    const batcher = batcherOn(connection);
    const both = [batcher.reserve(1, 10), batcher.reserve(2, 10)];
    await expect(both[0]).rejects.toThrow("Table 'tokens' doesn't exist");
    await expect(both[1]).rejects.toThrow("Table 'tokens' doesn't exist");
    expect(connection.texts.at(-1)).toBe('ROLLBACK');
  });

  it('with autocommit off, leaves START TRANSACTION out (the session is set first on each connection) and grants by the UPDATE results', async () => {
    const connection = new FakeConnection((sql) => (sql.startsWith('SET') ? [{ affectedRows: 0 }] : [{ affectedRows: 1 }, { affectedRows: 0 }, { affectedRows: 0 }]));
    const batcher = new MysqlReserveBatcher(new MysqlTextConnection(() => connection, { autocommit: false }));
    const granted = await Promise.all([batcher.reserve(7, 100), batcher.reserve(7, 500)]);
    expect(granted).toEqual([{ tokenId: 7, unlimited: false, reserved: 100 }, undefined]);
    expect(connection.texts[0]).toBe('SET autocommit = 0');
    const statements = connection.texts[1].split(';');
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/^UPDATE tokens SET .* WHERE id = 7 AND remain_quota >= 100$/);
    expect(statements[1]).toMatch(/WHERE id = 7 AND remain_quota >= 500$/);
    expect(statements[2]).toBe('COMMIT');
  });

  it('drops a connection on which SET autocommit = 0 failed, so no text runs there with autocommit on', async () => {
    const connections: FakeConnection[] = [];
    const open = () => {
      const first = connections.length === 0;
      const connection = new FakeConnection((sql) =>
        first ? Object.assign(new Error('Access denied'), { errno: 1227 }) : sql.startsWith('SET') ? [{ affectedRows: 0 }] : [{ affectedRows: 1 }, { affectedRows: 0 }],
      );
      connection.destroy = () => void (destroyed = connection);
      connections.push(connection);
      return connection;
    };
    let destroyed: FakeConnection | undefined;
    const text = new MysqlTextConnection(open, { autocommit: false });
    const batcher = new MysqlReserveBatcher(text);
    await expect(batcher.reserve(1, 10)).rejects.toThrow(); // queued behind the failed SET on the dropped connection
    expect(destroyed).toBe(connections[0]);
    await expect(batcher.reserve(1, 10)).resolves.toEqual({ tokenId: 1, unlimited: false, reserved: 10 });
    expect(connections[1].texts[0]).toBe('SET autocommit = 0');
  });

  it('refuses a token id or amount that is not an integer before anything reaches the SQL text', async () => {
    const connection = new FakeConnection(() => results(1));
    const batcher = batcherOn(connection);
    await expect(batcher.reserve(1, 1.5)).rejects.toThrow('must be integers');
    await expect(batcher.reserve(Number('1 OR 1=1'), 1)).rejects.toThrow('must be integers');
    expect(connection.texts).toEqual([]);
  });
});
