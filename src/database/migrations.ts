import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { MigrationInterface } from 'typeorm';

/** A migration class as TypeORM takes it in `migrations`. */
export type MigrationClass = new () => MigrationInterface;

/** `<13-digit unix ms>-<name>.<ext>`: what `npm run migration:generate` writes, and the only files loaded. */
const MIGRATION_FILE = /^(\d{13})-[\w.-]+$/;

/**
 * The migrations in `directory`, discovered rather than listed: every `<timestamp>-<name>` file with the
 * extension of this module (`.ts` under ts-node and ts-jest, `.js` in `dist/`, so a stale build beside the
 * sources is never mixed in), required in file-name order, and every class each exports. TypeORM orders
 * them by the timestamp in the class name again. A file dropped into the folder (by `migration:generate`
 * or by hand) runs without being registered anywhere.
 * @throws Error naming the file when a migration file exports no class (it would silently never run)
 */
export function loadMigrations(directory: string = join(__dirname, 'migrations'), extension: string = extname(__filename)): MigrationClass[] {
  const files = readdirSync(directory)
    .filter((file) => extname(file) === extension && !file.endsWith('.d.ts') && MIGRATION_FILE.test(file.slice(0, -extension.length)))
    .sort();
  return files.flatMap((file) => {
    const exported = require(join(directory, file)) as Record<string, unknown>;
    const classes = Object.values(exported).filter((value): value is MigrationClass => typeof value === 'function' && typeof value.prototype?.up === 'function');
    if (classes.length === 0) throw new Error(`${join(directory, file)} exports no migration class (one with up() and down())`);
    return classes;
  });
}

/** Every migration of `src/database/migrations/`, in order. */
export const MIGRATIONS: MigrationClass[] = loadMigrations();
