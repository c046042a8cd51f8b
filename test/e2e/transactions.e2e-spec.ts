import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-databases';

const pause = () => new Promise((r) => setTimeout(r, 5));

describe.each(testDatabases())('Concurrent transactions on %s', (_label, database) => {
  let t: TestApp;
  let ds: DataSource;

  beforeAll(async () => {
    t = await createTestApp(database());
    ds = t.app.get(DataSource);
    await ds.query('CREATE TABLE tx_probe (id INTEGER PRIMARY KEY, note VARCHAR(32))');
  });
  afterAll(async () => t?.close());

  const notes = async () => ((await ds.query('SELECT note FROM tx_probe ORDER BY id')) as { note: string }[]).map((r) => r.note);

  it('a rolled-back transaction undoes only its own writes, not those of transactions or statements running beside it', async () => {
    const failing = ds.transaction(async (tx) => {
      await tx.query("INSERT INTO tx_probe (id, note) VALUES (1, 'doomed')");
      await pause();
      await pause();
      throw new Error('boom');
    });
    const committing = ds.transaction(async (tx) => {
      await tx.query("INSERT INTO tx_probe (id, note) VALUES (2, 'kept-tx')");
      await pause();
      await tx.query("UPDATE tx_probe SET note = 'kept-tx-2' WHERE id = 2");
    });
    const plain = (async () => {
      await pause();
      await ds.query("INSERT INTO tx_probe (id, note) VALUES (3, 'kept-plain')");
    })();
    await expect(failing).rejects.toThrow('boom');
    await committing;
    await plain;
    expect(await notes()).toEqual(['kept-tx-2', 'kept-plain']);
  });

  it('twenty overlapping transactions each commit all of their writes', async () => {
    await ds.query('DELETE FROM tx_probe');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        ds.transaction(async (tx) => {
          await tx.query('INSERT INTO tx_probe (id, note) VALUES (?, ?)', [100 + i, 'a']);
          await pause();
          await tx.query("UPDATE tx_probe SET note = 'b' WHERE id = ?", [100 + i]);
        }),
      ),
    );
    const rows = await notes();
    expect(rows).toHaveLength(20);
    expect(new Set(rows)).toEqual(new Set(['b']));
  });
});
