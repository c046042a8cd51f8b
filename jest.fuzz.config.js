/**
 * The API fuzz (`npm run test:fuzz`): fast-check requests drawn from the OpenAPI document of the
 * built server (`dist/main.js`, whose document has the Swagger CLI plugin's schemas), on SQLite and,
 * when TEST_DATABASE_URL is set, on MariaDB. Kept out of `npm test`; `.ci/run` runs it after.
 * FUZZ_SEED, FUZZ_RUNS, FUZZ_BUDGET_MS, FUZZ_REQUEST_MS, FUZZ_ONLY: see test/fuzz/fuzz-settings.ts.
 */
module.exports = {
  rootDir: '.',
  testMatch: ['<rootDir>/test/fuzz/**/*.fuzz-spec.ts'],
  testEnvironment: 'node',
  testTimeout: 300000,
  setupFiles: ['<rootDir>/test/support/env.setup.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
};
