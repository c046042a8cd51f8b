import { Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { UsersModule } from '../users/users.module';
import { SsoAppEntity } from './entities/sso-app.entity';
import { SsoLinkEntity } from './entities/sso-link.entity';
import { createJtiReplayGuard, JtiReplayGuard } from './jti-replay-guard';
import { SsoAppsController } from './sso-apps.controller';
import { SsoAppsService } from './sso-apps.service';
import { SsoLoginController } from './sso-login.controller';
import { SsoLoginService } from './sso-login.service';

/**
 * SSO token apps of seed 004: the admin config API, the app-user links, and the JWT login that
 * opens sessions. One-time token ids are shared through Redis when configured, else the database.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SsoAppEntity, SsoLinkEntity]), UsersModule],
  controllers: [SsoAppsController, SsoLoginController],
  providers: [
    SsoAppsService,
    SsoLoginService,
    {
      provide: JtiReplayGuard,
      inject: [InvalidationBus, getDataSourceToken()],
      useFactory: (bus: InvalidationBus, dataSource: DataSource) => createJtiReplayGuard(bus.redis, dataSource),
    },
  ],
})
export class SsoAppsModule {}
