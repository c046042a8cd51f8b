import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { AuditModule } from './audit/audit.module';
import { AuthGuard } from './common/auth/auth.guard';
import { InvalidationBus } from './common/cache/invalidation-bus';
import { CommonModule } from './common/common.module';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter';
import { bodyParsers } from './common/http/body-parsers';
import { chooseLogFormat } from './common/logging/log-destination';
import { createValidationPipe } from './common/http/validation.pipe';
import { requestContextOptions } from './common/request-context/request-context';
import { buildThrottlerOptions } from './common/throttle/throttler-options';
import { EnvironmentVariables, validateEnv } from './config/env.validation';
import { buildLoggerOptions } from './config/logger.options';
import { buildDataSourceOptions } from './database/data-source-options';
import { ConnectLog, connectDataSource } from './database/database-connection';
import { SqliteTransactionLock } from './database/sqlite-transaction-lock';
import { HealthModule } from './health/health.module';
import { KeysModule } from './keys/keys.module';
import { PricesModule } from './prices/prices.module';
import { MetricsModule } from './metrics/metrics.module';
import { RelayModule } from './relay/relay.module';
import { TokensModule } from './tokens/tokens.module';
import { SsoAppsModule } from './sso-apps/sso-apps.module';
import { UsersModule } from './users/users.module';
import { UsagesModule } from './usages/usages.module';

/**
 * The root module. `forRoot()` reads and validates `process.env` when called (at start, or
 * per test app), so a bad variable stops the start with one line naming it. `configure` mounts
 * the body parsers; Nest mounts a global module's middleware (the request logger of
 * LoggerModule) before the root module's, so every request, a refused body included, gets its
 * request id and its log line first.
 */
@Module({})
export class AppModule implements NestModule {
  constructor(private readonly config: ConfigService<EnvironmentVariables, true>) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(...bodyParsers(this.config.get('BODY_LIMIT', { infer: true }))).forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }

  static forRoot(): DynamicModule {
    let connectLog: ConnectLog | undefined; // the app's logger, handed from the options factory to the data source factory
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, validate: validateEnv }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<EnvironmentVariables, true>) =>
            buildLoggerOptions(
              config.get('LOG_LEVEL', { infer: true }),
              chooseLogFormat({ LOG_FORMAT: config.get('LOG_FORMAT', { infer: true }), NODE_ENV: config.get('NODE_ENV', { infer: true }) }),
            ),
        }),
        TypeOrmModule.forRootAsync({
          inject: [ConfigService, PinoLogger],
          useFactory: (config: ConfigService<EnvironmentVariables, true>, logger: PinoLogger) => {
            logger.setContext('Database');
            connectLog = logger;
            // Retries and their log lines are connectDataSource's (at once, naming the database); Nest's own retry stays off.
            return { ...buildDataSourceOptions(config.get('DATABASE_URL', { infer: true })), toRetry: () => false };
          },
          dataSourceFactory: async (options) => {
            const dataSource = await connectDataSource(options!, connectLog!);
            new SqliteTransactionLock().install(dataSource); // no-op on MySQL
            return dataSource;
          },
        }),
        CommonModule,
        ClsModule.forRoot(requestContextOptions()),
        AuditModule,
        // Rate limits (in Redis with REDIS_URL); routes opt in with @UseGuards(…), see buildThrottlerOptions.
        ThrottlerModule.forRootAsync({
          inject: [InvalidationBus, ConfigService],
          useFactory: (bus: InvalidationBus, config: ConfigService<EnvironmentVariables, true>) =>
            buildThrottlerOptions(bus, config.get('DATABASE_URL', { infer: true })),
        }),
        HealthModule,
        UsersModule,
        KeysModule,
        PricesModule,
        MetricsModule,
        RelayModule,
        SsoAppsModule,
        TokensModule,
        UsagesModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
