import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokenResolver } from '../common/auth/access-token.resolver';
import { UserEntity } from './entities/user.entity';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/** Users of seed 003; also provides the {@link AccessTokenResolver} for the global guard. */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
  controllers: [UsersController],
  providers: [UsersService, { provide: AccessTokenResolver, useExisting: UsersService }],
  exports: [UsersService, AccessTokenResolver],
})
export class UsersModule {}
