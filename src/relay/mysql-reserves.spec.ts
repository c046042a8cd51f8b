import { MultiStatementConnection, MysqlReserveBatcher } from './mysql-reserves';

/** A connection stand-in: answers each query text with `answer(sql)` (results or an error). */
class FakeConnection implements MultiStatementConnection {
  readonly texts: string[] = [];
  constructor(private readonly answer: (sql: string, n: number) => unknown) {}

  query(sql: string, callback: (error: (Error & { errno?: number }) | null, results: unknown) => void): void {
    this.texts.push(sql);
    const result = this.answer(sql, this.texts.length);
    setImmediate(() => (result instanceof Error ? callback(result, undefined) : callback(null, result)));
  }
  on(): void {}
  end(callback?: () => void): void {
    callback?.();
  }
  destroy(): void {}
}

/** The multi-statement results for `affected` UPDATEs between START TRANSACTION and COMMIT. */
const results = (...affected: number[]) => [{ affectedRows: 0 }, ...affected.map((affectedRows) => ({ affectedRows })), { affectedRows: 0 }];

describe('MysqlReserveBatcher (MySQL reserves, one round trip per batch)', () => {
  it('sends the reserves of one event-loop turn as one transaction of conditional UPDATEs and grants each by its affected rows', async () => {
    const connection = new FakeConnection(() => results(1, 0, 1));
    const batcher = new MysqlReserveBatcher(() => connection);
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

  it('sends a lone reserve as its conditional UPDATE alone, in autocommit, and grants it by the affected rows', async () => {
    const connection = new FakeConnection((sql, n) => ({ affectedRows: n === 1 ? 1 : 0 }));
    const batcher = new MysqlReserveBatcher(() => connection);
    await expect(batcher.reserve(7, 100)).resolves.toEqual({ tokenId: 7, unlimited: false, reserved: 100 });
    await expect(batcher.reserve(7, 900)).resolves.toBeUndefined();
    expect(connection.texts).toEqual([
      expect.stringMatching(/^UPDATE tokens SET remain_quota = remain_quota - 100, used_quota = used_quota \+ 100, accessed_time = \d+ WHERE id = 7 AND remain_quota >= 100$/),
      expect.stringMatching(/^UPDATE tokens .* WHERE id = 7 AND remain_quota >= 900$/),
    ]);
  });

  it('retries a batch the server rolled back for a deadlock, after ending the transaction', async () => {
    const deadlock = Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });
    const connection = new FakeConnection((sql, n) => (sql === 'ROLLBACK' ? [] : n === 1 ? deadlock : results(1, 1)));
    const batcher = new MysqlReserveBatcher(() => connection);
    const granted = await Promise.all([batcher.reserve(1, 10), batcher.reserve(2, 10)]);
    expect(granted).toEqual([{ tokenId: 1, unlimited: false, reserved: 10 }, { tokenId: 2, unlimited: false, reserved: 10 }]);
    expect(connection.texts.map((t) => (t.startsWith('START') ? 'batch' : t))).toEqual(['batch', 'ROLLBACK', 'batch']);
  });

  it('retries a lone reserve refused for a lock wait timeout, with no transaction to end', async () => {
    const timeout = Object.assign(new Error('Lock wait timeout exceeded'), { errno: 1205 });
    const connection = new FakeConnection((sql, n) => (n === 1 ? timeout : { affectedRows: 1 }));
    const batcher = new MysqlReserveBatcher(() => connection);
    await expect(batcher.reserve(1, 10)).resolves.toEqual({ tokenId: 1, unlimited: false, reserved: 10 });
    expect(connection.texts).toHaveLength(2);
    expect(connection.texts.every((t) => t.startsWith('UPDATE tokens'))).toBe(true);
  });

  it('rejects every reserve of a batch that fails otherwise, and rolls its transaction back', async () => {
    const broken = Object.assign(new Error("Table 'tokens' doesn't exist"), { errno: 1146 });
    const connection = new FakeConnection((sql) => (sql === 'ROLLBACK' ? [] : broken));
    const batcher = new MysqlReserveBatcher(() => connection);
    const both = [batcher.reserve(1, 10), batcher.reserve(2, 10)];
    await expect(both[0]).rejects.toThrow("Table 'tokens' doesn't exist");
    await expect(both[1]).rejects.toThrow("Table 'tokens' doesn't exist");
    expect(connection.texts.at(-1)).toBe('ROLLBACK');
  });

  it('refuses a token id or amount that is not an integer before anything reaches the SQL text', async () => {
    const connection = new FakeConnection(() => results(1));
    const batcher = new MysqlReserveBatcher(() => connection);
    await expect(batcher.reserve(1, 1.5)).rejects.toThrow('must be integers');
    await expect(batcher.reserve(Number('1 OR 1=1'), 1)).rejects.toThrow('must be integers');
    expect(connection.texts).toEqual([]);
  });
});
