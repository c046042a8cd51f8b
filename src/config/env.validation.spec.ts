import { validateEnv } from './env.validation';

describe('validateEnv', () => {
  it('applies the defaults on an empty environment', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({ PORT: 3000, LOG_LEVEL: 'info', TRUST_PROXY: 'false', NODE_ENV: 'development', MAX_TOKENS_PER_USER: 1000 });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('coerces numbers and accepts the three database URL forms', () => {
    expect(validateEnv({ PORT: '8080' }).PORT).toBe(8080);
    for (const url of ['sqlite::memory:', 'sqlite:/tmp/x.sqlite', 'mysql://u:p@h:3306/db']) {
      expect(validateEnv({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    }
  });

  it('names the bad variable in one line', () => {
    expect(() => validateEnv({ PORT: 'abc' })).toThrow(/^Invalid environment: PORT must be an integer number \(got "abc"\)$/);
    expect(() => validateEnv({ PORT: '70000' })).toThrow(/PORT must not be greater than 65535/);
    expect(() => validateEnv({ DATABASE_URL: 'postgres://x' })).toThrow(/DATABASE_URL must be sqlite::memory:/);
    expect(() => validateEnv({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => validateEnv({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must be a redis/);
  });

  it('takes Z or a whole-hour offset as USAGE_TZ, which the usage rollups can answer', () => {
    expect(validateEnv({}).USAGE_TZ).toBeUndefined();
    expect(validateEnv({ USAGE_TZ: '+08:00' }).USAGE_TZ).toBe('+08:00');
    expect(validateEnv({ USAGE_TZ: 'Z' }).USAGE_TZ).toBe('Z');
    for (const bad of ['+05:30', 'Asia/Shanghai', ' ']) expect(() => validateEnv({ USAGE_TZ: bad })).toThrow(/USAGE_TZ must be Z or a whole-hour UTC offset/);
  });

  it('requires TOLLGATE_SECRET in production and a long one whenever set, without echoing it', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow(/TOLLGATE_SECRET is required when NODE_ENV=production/);
    let message = '';
    try {
      validateEnv({ TOLLGATE_SECRET: 'short-secret' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/TOLLGATE_SECRET must be at least 32 characters/);
    expect(message).not.toContain('short-secret');
    expect(validateEnv({ NODE_ENV: 'production', TOLLGATE_SECRET: 'x'.repeat(32) }).TOLLGATE_SECRET).toHaveLength(32);
  });
});
