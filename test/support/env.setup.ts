// Jest setupFiles for e2e: a deterministic environment before any app module is built.
process.env.NODE_ENV = 'test';
process.env.TOLLGATE_SECRET = process.env.TEST_TOLLGATE_SECRET ?? 'test-master-secret-0123456789abcdef0123456789';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
delete process.env.DATABASE_URL;
delete process.env.REDIS_URL;
delete process.env.LOG_FORMAT; // tests read JSON lines, whatever the developer's shell sets
