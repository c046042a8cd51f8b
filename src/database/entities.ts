import { AuditRecordEntity } from '../audit/entities/audit-record.entity';
import { ChangeEventEntity } from '../common/cache/entities/change-event.entity';
import { QuotaLeaseEntity } from '../metering/entities/quota-lease.entity';
import { QuotaResetEntity } from '../metering/entities/quota-reset.entity';
import { KeyEntity } from '../keys/entities/key.entity';
import { PriceEntity } from '../prices/entities/price.entity';
import { TokenEntity } from '../tokens/entities/token.entity';
import { UsageDailyEntity } from '../usages/entities/usage-daily.entity';
import { UsageHourlyEntity } from '../usages/entities/usage-hourly.entity';
import { UsagePeriodUserEntity } from '../usages/entities/usage-period-user.entity';
import { UsageRecordEntity } from '../usages/entities/usage-record.entity';
import { SsoAppEntity } from '../sso-apps/entities/sso-app.entity';
import { SsoLinkEntity } from '../sso-apps/entities/sso-link.entity';
import { SsoReplayClaimEntity } from '../sso-apps/entities/sso-replay-claim.entity';
import { SessionEntity } from '../users/entities/session.entity';
import { UserEntity } from '../users/entities/user.entity';

/** Every TypeORM entity, for the app and the CLI. Each domain module adds its own here. */
export const ENTITIES = [UserEntity, TokenEntity, UsageRecordEntity, UsageDailyEntity, UsageHourlyEntity, UsagePeriodUserEntity, KeyEntity, PriceEntity, SessionEntity, SsoAppEntity, SsoLinkEntity, SsoReplayClaimEntity, ChangeEventEntity, QuotaLeaseEntity, QuotaResetEntity, AuditRecordEntity];
