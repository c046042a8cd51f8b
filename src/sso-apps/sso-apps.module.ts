import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { SsoAppEntity } from './entities/sso-app.entity';
import { JtiReplayGuard } from './jti-replay-guard';
import { SsoAppsController } from './sso-apps.controller';
import { SsoAppsService } from './sso-apps.service';
import { SsoLoginController } from './sso-login.controller';
import { SsoLoginService } from './sso-login.service';

/** SSO token apps of seed 004: the admin config API and the JWT login that opens sessions (issue 6). */
@Module({
  imports: [TypeOrmModule.forFeature([SsoAppEntity]), UsersModule],
  controllers: [SsoAppsController, SsoLoginController],
  providers: [SsoAppsService, SsoLoginService, JtiReplayGuard],
})
export class SsoAppsModule {}
