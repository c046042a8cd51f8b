import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations } from './migrations';

describe('loadMigrations', () => {
  let dir: string;
  const migration = (name: string) => `exports.${name} = class ${name} { async up() {} async down() {} };\n`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-migrations-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds every <timestamp>-<name> file of the extension, in timestamp order, without a list', () => {
    writeFileSync(join(dir, '1700000000200-add-b.js'), migration('AddB1700000000200'));
    writeFileSync(join(dir, '1700000000100-create-a.js'), migration('CreateA1700000000100'));
    writeFileSync(join(dir, '1700000000300-Generated.js'), migration('Generated1700000000300'));
    writeFileSync(join(dir, '1700000000100-create-a.js.map'), '{}');
    writeFileSync(join(dir, '1700000000400-stale.ts'), 'this is not JavaScript');
    writeFileSync(join(dir, 'README.js'), 'throw new Error("not a migration file: never required")');
    expect(loadMigrations(dir, '.js').map((type) => type.name)).toEqual(['CreateA1700000000100', 'AddB1700000000200', 'Generated1700000000300']);
  });

  it('refuses a migration file that exports no migration class, naming it', () => {
    writeFileSync(join(dir, '1700000000100-empty.js'), 'exports.note = "nothing here";\n');
    expect(() => loadMigrations(dir, '.js')).toThrow(/1700000000100-empty\.js exports no migration class/);
  });

  it('the shipped folder: every migration file is loaded, the first creates users', () => {
    const classes = loadMigrations();
    expect(classes[0].name).toBe('CreateUsers1763773200000');
    const stamps = classes.map((type) => Number(/(\d{13})$/.exec(type.name)?.[1]));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(stamps.length).toBeGreaterThanOrEqual(21);
  });
});
