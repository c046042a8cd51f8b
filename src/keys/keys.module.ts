import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeyEntity } from './entities/key.entity';
import { KeyPool } from './key-pool.service';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';

/** Upstream keys (seed 003 `/1/keys`) and the in-memory {@link KeyPool} the relay routes with. */
@Module({
  imports: [TypeOrmModule.forFeature([KeyEntity])],
  controllers: [KeysController],
  providers: [KeysService, KeyPool],
  exports: [KeyPool],
})
export class KeysModule {}
