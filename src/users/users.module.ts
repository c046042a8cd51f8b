import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokenResolver } from '../common/auth/access-token.resolver';
import { SessionEntity } from './entities/session.entity';
import { UserEntity } from './entities/user.entity';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/** Users of seed 003 and their sessions; also provides the {@link AccessTokenResolver} for the global guard. */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, SessionEntity])],
  controllers: [UsersController, SessionsController],
  providers: [UsersService, SessionsService, { provide: AccessTokenResolver, useExisting: UsersService }],
  exports: [UsersService, AccessTokenResolver],
})
export class UsersModule {}
