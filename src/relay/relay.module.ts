import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysModule } from '../keys/keys.module';
import { PricesModule } from '../prices/prices.module';
import { TokenEntity } from '../tokens/entities/token.entity';
import { UserEntity } from '../users/entities/user.entity';
import { MeteringService } from './metering.service';
import { RelayController } from './relay.controller';
import { RelayHttpHandler } from './relay-http.handler';
import { RelayService } from './relay.service';
import { TokenCache } from './token-cache.service';
import { UpstreamClient } from './upstream.client';

/** The metering relay `/v1/*` (issue 4); {@link RelayHttpHandler} serves its POST routes ahead of Express. */
@Module({
  imports: [TypeOrmModule.forFeature([TokenEntity, UserEntity]), KeysModule, PricesModule],
  controllers: [RelayController],
  providers: [RelayService, TokenCache, MeteringService, UpstreamClient, RelayHttpHandler],
  exports: [RelayHttpHandler, MeteringService],
})
export class RelayModule {}
