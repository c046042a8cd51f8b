import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EnvironmentVariables } from '../config/env.validation';
import { resolveMasterKey } from '../config/master-key';
import { InvalidationBus } from './cache/invalidation-bus';
import { CryptoService } from './crypto/crypto.service';

/**
 * Global providers every domain module uses: {@link CryptoService} built from the master key,
 * and the {@link InvalidationBus} for in-memory caches (Redis pub/sub when `REDIS_URL` is set).
 */
@Global()
@Module({
  providers: [
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
      inject: [ConfigService],
      useFactory: (config: ConfigService<EnvironmentVariables, true>) => new InvalidationBus(config.get('REDIS_URL', { infer: true })),
    },
  ],
  exports: [CryptoService, InvalidationBus],
})
export class CommonModule {}
