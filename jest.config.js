/**
 * Jest projects: `unit` (specs next to the code) and `e2e` (supertest against the real
 * AppModule on SQLite, and on MariaDB too when TEST_DATABASE_URL is set).
 *
 * TypeScript is compiled by SWC (@swc/jest): legacy decorators with emitted design-type metadata,
 * which Nest's dependency injection and class-validator/class-transformer read, as tsc emits them.
 * Types are checked by `npm run typecheck`, not here.
 *
 * NestJS 12 and a few of its dependencies ship ESM only. Node loads them in the app through
 * require(esm), but Jest's own module loader does that only on Node >= 24.9, so here those
 * packages are transformed to CommonJS (test/support/esm-to-cjs.transformer.js, cached after the
 * first run).
 */
const ESM_ONLY = ['@nestjs', 'file-type', 'strtok3', 'token-types', 'uint8array-extras', 'jose', 'load-esm', 'uid', '@tokenizer', 'openai', 'gpt-tokenizer'];
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
const transform = {
  '^.+\\.ts$': ['@swc/jest', swc],
  'node_modules/.+\.m?js$': '<rootDir>/test/support/esm-to-cjs.transformer.js',
};
const common = {
  moduleFileExtensions: ['js', 'mjs', 'json', 'ts'],
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
};
module.exports = {
  testTimeout: 30000, // a global option: inside `projects` Jest ignores it
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/support/env.setup.ts'],
    },
  ],
};
