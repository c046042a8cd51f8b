/**
 * The settings of every connection to a SQLite file (the app's TypeORM connection and the
 * metering writer thread's): WAL (readers never wait for the writer), a 5 s busy timeout,
 * `synchronous=NORMAL` (no fsync per commit in WAL: a process crash loses nothing, a power loss
 * may lose the last commits), foreign keys on, and temporary files (statement journals of the
 * multi-row settlement statements) kept in memory. No framework imports (the writer thread loads it).
 */
export function applySqlitePragmas(db: { pragma(sql: string): unknown }): void {
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
}
