/**
 * A date as a `created_at` DATETIME column compares it on both dialects: `YYYY-MM-DD HH:mm:ss.SSS` UTC
 * (what TypeORM writes on SQLite; a valid DATETIME(3) literal on MySQL with `timezone: 'Z'`).
 */
export function toSqlUtc(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}
