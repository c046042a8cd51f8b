/**
 * The settings of every connection to a SQLite file (the app's TypeORM connection and the
 * settlement writer thread's): WAL (readers never wait for the writer), a 5 s busy timeout,
 * `synchronous=NORMAL` (no fsync per commit in WAL: a process crash loses nothing, a power loss
 * may lose the last commits) and foreign keys on. No framework imports (the writer thread loads it).
 */
export function applySqlitePragmas(db: { pragma(sql: string): unknown }): void {
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}
