import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysModule } from '../keys/keys.module';
import { MeteringModule } from '../metering/metering.module';
import { PricesModule } from '../prices/prices.module';
import { TokenEntity } from '../tokens/entities/token.entity';
import { UserEntity } from '../users/entities/user.entity';
import { RelayController } from './relay.controller';
import { RelayHttpHandler } from './relay-http.handler';
import { RelayService } from './relay.service';
import { TokenCache } from './token-cache.service';
import { UpstreamClient } from './upstream.client';

/** The metering relay `/v1/*`; {@link RelayHttpHandler} serves its POST routes ahead of Express. */
@Module({
  imports: [TypeOrmModule.forFeature([TokenEntity, UserEntity]), KeysModule, PricesModule, MeteringModule],
  controllers: [RelayController],
  providers: [RelayService, TokenCache, UpstreamClient, RelayHttpHandler],
  exports: [RelayHttpHandler],
})
export class RelayModule {}
