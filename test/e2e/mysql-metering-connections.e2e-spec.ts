import { createConnection } from 'mysql2';
import { Connection, createConnection as createPromiseConnection } from 'mysql2/promise';
import { MysqlReserveBatcher } from '../../src/relay/mysql-reserves';
import { MultiStatementConnection, MysqlTextConnection } from '../../src/relay/mysql-text-connection';
import { testDatabases } from '../support/test-databases';

const mysql = testDatabases().find(([label]) => label === 'mariadb');

if (!mysql) {
  it.todo('MySQL metering connections against a real server (set TEST_DATABASE_URL)');
} else {
  /** Issue 4's MySQL reserve and settlement connections against the real server, on a bare `tokens` table. */
  describe('MySQL metering connections (MariaDB)', () => {
    const database = mysql[1]();
    let url = '';
    let admin: Connection;
    const connect = () => createConnection({ uri: url, multipleStatements: true, timezone: 'Z' }) as unknown as MultiStatementConnection;

    beforeAll(async () => {
      url = await database.create();
      admin = await createPromiseConnection(url);
      await admin.query('CREATE TABLE tokens (id INT PRIMARY KEY, remain_quota BIGINT NOT NULL, used_quota BIGINT NOT NULL, accessed_time BIGINT NOT NULL)');
    });
    afterAll(async () => {
      await admin?.end();
      await database.drop();
    });

    async function token(id: number): Promise<{ remain: number; used: number }> {
      const [rows] = await admin.query('SELECT remain_quota AS remain, used_quota AS used FROM tokens WHERE id = ?', [id]);
      const row = (rows as { remain: string | number; used: string | number }[])[0];
      return { remain: Number(row.remain), used: Number(row.used) };
    }

    it.each([
      ['START TRANSACTION; …; COMMIT', true, 1],
      ['autocommit off, …; COMMIT', false, 3],
    ])('grants concurrent reserves only as far as the quota goes, committed and seen from another connection once settled() resolves (%s)', async (_form, autocommit, id) => {
      await admin.query('INSERT INTO tokens VALUES (?, 250, 0, 0)', [id]);
      const batcher = new MysqlReserveBatcher(new MysqlTextConnection(connect, { autocommit }));
      const answers = await Promise.all([batcher.reserve(id, 100), batcher.reserve(id, 100), batcher.reserve(id, 100)]);
      expect(answers.filter(Boolean)).toHaveLength(2);
      expect(answers[2]).toBeUndefined(); // in arrival order: the third does not fit
      await batcher.settled();
      expect(await token(id)).toEqual({ remain: 50, used: 200 });
      // the next text finds no transaction left open: its reserve is committed too
      await expect(batcher.reserve(id, 50)).resolves.toEqual({ tokenId: id, unlimited: false, reserved: 50 });
      await batcher.settled();
      expect(await token(id)).toEqual({ remain: 0, used: 250 });
      await batcher.drain();
      await batcher.close();
    });

    it('with autocommit off, a reserve text that fails after its first UPDATE leaves nothing of it behind', async () => {
      await admin.query('INSERT INTO tokens VALUES (4, 100, 0, 0)');
      const connection = new MysqlTextConnection(connect, { autocommit: false });
      await expect(
        connection.transaction('UPDATE tokens SET remain_quota = remain_quota - 10, used_quota = used_quota + 10 WHERE id = 4;UPDATE no_such_table SET x = 1;COMMIT'),
      ).rejects.toThrow(/no_such_table/);
      await connection.query('COMMIT'); // would commit the first UPDATE had the failed text left its transaction open
      expect(await token(4)).toEqual({ remain: 100, used: 0 });
      await connection.close();
    });

    it('replaces a connection the server closed before the next text runs', async () => {
      await admin.query('INSERT INTO tokens VALUES (2, 1000, 0, 0)');
      const connection = new MysqlTextConnection(connect);
      const [first] = (await connection.query('SELECT CONNECTION_ID() AS id')) as { id: number }[];
      await admin.query(`KILL CONNECTION ${Number(first.id)}`);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the closed socket reaches the driver
      const batcher = new MysqlReserveBatcher(connection);
      await expect(batcher.reserve(2, 10)).resolves.toEqual({ tokenId: 2, unlimited: false, reserved: 10 });
      const [second] = (await connection.query('SELECT CONNECTION_ID() AS id')) as { id: number }[];
      expect(second.id).not.toBe(first.id);
      expect(await token(2)).toEqual({ remain: 990, used: 10 });
      await batcher.close();
    });
  });
}
