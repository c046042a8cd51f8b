import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { toInt } from '../common/http/int-transform';
import type { LogFormat } from '../common/logging/log-destination';
import { isPriceString } from '../prices/cost';
import { isRollupTz } from '../usages/usage-range';

/**
 * Environment schema, validated once at start (`@nestjs/config` `validate`). Defaults live here.
 * A bad value stops the start with one line naming the variable (see {@link validateEnv}).
 */
export class EnvironmentVariables {
  /** `development`, `production` or `test`. In production `TOLLGATE_SECRET` is required. */
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  /** HTTP port. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** Unset: embedded SQLite at ./data/tollgate.sqlite. `sqlite::memory:`, `sqlite:/path/file`, `mysql://user:pass@host:port/db`. */
  @IsOptional()
  @Matches(/^(sqlite::memory:|sqlite:.+|mysql:\/\/.+|mariadb:\/\/.+)$/, {
    message: 'must be sqlite::memory:, sqlite:/path/file or mysql://user:pass@host:port/db',
  })
  DATABASE_URL?: string;

  /** `redis://host:port/db`; enables cross-instance cache invalidation and shared replay guards. */
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Master key for keyed hashes and encryption at rest: at least 32 characters. */
  @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV === 'production' || env.TOLLGATE_SECRET !== undefined)
  @IsDefined({ message: 'is required when NODE_ENV=production' })
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters (e.g. `openssl rand -hex 32`)' })
  TOLLGATE_SECRET?: string;

  /** pino level. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** `json` or `pretty` (pino-pretty). Unset: pretty when stdout is a terminal and NODE_ENV=development, else JSON. */
  @IsOptional()
  @IsIn(['json', 'pretty'])
  LOG_FORMAT?: LogFormat;

  /** Express `trust proxy`: `false` (default), `true`, a hop count, or a comma list of addresses/CIDRs. */
  @IsString()
  TRUST_PROXY = 'false';

  /** Maximum JSON/form body size, e.g. `2mb`. */
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'must look like 2mb, 500kb or 1048576b' })
  BODY_LIMIT = '2mb';

  /** Maximum number of API tokens one user may hold. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  MAX_TOKENS_PER_USER = 1000;

  /** Serve the relay's POST routes from the HTTP server ahead of Express/Nest (the relay's latency targets). */
  @Transform(({ value }) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value))
  @IsBoolean({ message: 'must be true or false' })
  RELAY_FAST_PATH = true;

  /** Seconds a session token (SSO login, `POST /1/login`) stays valid; default 12 h. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  SESSION_TTL = 43_200;

  /** Days raw usage records are kept; older ones are purged hourly in batches, daily rollups kept. 0 keeps them forever. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  USAGE_RETENTION_DAYS = 90;

  /** Days audit records are kept; older ones are purged hourly in batches. 0 keeps them forever. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  AUDIT_RETENTION_DAYS = 365;

  /**
   * UTC offset of the days of the usage reports when a request gives no `tz` (clients of seed 003
   * such as opencatd's send only `from`/`to`): `Z` or whole hours, e.g. `+08:00`. Unset: UTC.
   */
  @IsOptional()
  @ValidateBy({
    name: 'isRollupTz',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.trim() !== '' && isRollupTz(value),
      defaultMessage: () => 'must be Z or a whole-hour UTC offset from -14:00 to +14:00, e.g. +08:00',
    },
  })
  USAGE_TZ?: string;

  /**
   * Price for models without an entry in `/1/prices`: USD per 1M input tokens, optionally
   * `,<output>` (e.g. `2` or `2.5,10`). Unset: such models are refused (404 `model_not_found`).
   */
  @IsOptional()
  @ValidateBy({
    name: 'isModelPrice',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.split(',').length <= 2 && value.split(',').every(isPriceString),
      defaultMessage: () => 'must be <input USD per 1M>[,<output USD per 1M>] from 0 to 1000000, e.g. 2 or 2.5,10',
    },
  })
  DEFAULT_MODEL_PRICE?: string;

  /** Relay: further upstream keys tried after a network error, 429 or 5xx (never after bytes reached the client). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  RELAY_MAX_RETRIES = 2;

  /** Relay: completion tokens reserved when a request gives no `max_tokens` (settled to the real usage after). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RELAY_DEFAULT_MAX_TOKENS = 512;

  /** Relay: milliseconds to wait for an upstream's response headers, and between body chunks. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  RELAY_UPSTREAM_TIMEOUT_MS = 300_000;

  /**
   * Metering: milliseconds a quota lease lives without renewal (renewed every third of it while the
   * instance lives). The leases of an instance that died come back to their balances within this.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  METERING_LEASE_TTL_MS = 15_000;

  /** Metering: milliseconds settlements gather before they are written in one transaction (an answered request's record may be lost in a crash within this). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000)
  METERING_SETTLE_MS = 250;

  /** Bearer token of `GET /metrics` (Prometheus); unset = metrics off (404). At least 16 characters. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /** Relay: milliseconds an API token stays in the in-memory cache (changes invalidate it at once anyway). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  RELAY_TOKEN_CACHE_TTL_MS = 60_000;
}

/** Constraints that say what kind of value a variable takes: reported before range checks (`PORT=abc` is not an integer, whatever its bounds). */
const TYPE_CONSTRAINTS = ['isDefined', 'isInt', 'isBoolean', 'isString', 'isIn', 'matches'];

/**
 * `@nestjs/config` validate hook: coerces and checks `raw`, returns the typed config.
 * @throws Error, one line naming each bad variable and what is wrong with it (its kind before its range): `Invalid environment: PORT must be an integer number (got "abc")`.
 */
export function validateEnv(raw: Record<string, unknown>): EnvironmentVariables {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
  const env = plainToInstance(EnvironmentVariables, cleaned, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const constraints = e.constraints ?? {};
      const kind = TYPE_CONSTRAINTS.find((name) => name in constraints);
      const text = (kind ? constraints[kind] : Object.values(constraints)[0]) ?? 'is invalid';
      const shown = e.property === 'TOLLGATE_SECRET' ? '' : ` (got ${JSON.stringify(e.value)})`;
      return `${e.property} ${text.replace(new RegExp(`^${e.property} `), '')}${shown}`;
    });
    throw new Error(`Invalid environment: ${lines.join('; ')}`);
  }
  return env;
}
