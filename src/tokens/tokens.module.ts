import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { TokenEntity } from './entities/token.entity';
import { TokenUsageController } from './token-usage.controller';
import { TokensController } from './tokens.controller';
import { TokensService } from './tokens.service';

/** API tokens of seeds 000/001/002 (`/api/token/*`, `/api/usage/token`); exports {@link TokensService} for the relay. */
@Module({
  imports: [TypeOrmModule.forFeature([TokenEntity]), UsersModule],
  controllers: [TokensController, TokenUsageController],
  providers: [TokensService],
  exports: [TokensService],
})
export class TokensModule {}
