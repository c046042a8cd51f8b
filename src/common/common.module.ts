import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EnvironmentVariables } from '../config/env.validation';
import { resolveMasterKey } from '../config/master-key';
import { DataSource } from 'typeorm';
import { ChangeFeed } from './cache/change-feed';
import { ChangeEventEntity } from './cache/entities/change-event.entity';
import { InvalidationBus } from './cache/invalidation-bus';
import { Clock } from './clock';
import { CryptoService } from './crypto/crypto.service';

/**
 * Global providers every domain module uses: {@link CryptoService} built from the master key,
 * and the {@link InvalidationBus} for in-memory caches (the database change feed, and Redis
 * pub/sub when `REDIS_URL` is set).
 */
@Global()
@Module({
  providers: [
    Clock,
    {
      provide: CryptoService,
      inject: [ConfigService],
      useFactory: (config: ConfigService<EnvironmentVariables, true>) => {
        const key = resolveMasterKey({
          TOLLGATE_SECRET: config.get('TOLLGATE_SECRET', { infer: true }),
          NODE_ENV: config.get('NODE_ENV', { infer: true }),
          DATABASE_URL: config.get('DATABASE_URL', { infer: true }),
        } as EnvironmentVariables);
        if (key.source !== 'env') new Logger('MasterKey').warn(key.note);
        return new CryptoService(key.secret);
      },
    },
    {
      provide: InvalidationBus,
      inject: [ConfigService, DataSource],
      useFactory: (config: ConfigService<EnvironmentVariables, true>, dataSource: DataSource) =>
        new InvalidationBus({
          redisUrl: config.get('REDIS_URL', { infer: true }),
          feed: new ChangeFeed(dataSource.getRepository(ChangeEventEntity)),
        }),
    },
  ],
  exports: [CryptoService, InvalidationBus, Clock],
})
export class CommonModule {}
