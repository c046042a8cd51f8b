import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PriceEntity } from './entities/price.entity';
import { PricesController } from './prices.controller';
import { PricesService } from './prices.service';

/** Model prices: `/1/prices` and the in-memory price table the relay charges by. */
@Module({
  imports: [TypeOrmModule.forFeature([PriceEntity])],
  controllers: [PricesController],
  providers: [PricesService],
  exports: [PricesService],
})
export class PricesModule {}
