import { CreateUsers1763773200000 } from './migrations/1763773200000-create-users';
import { CreateTokens1763773300000 } from './migrations/1763773300000-create-tokens';
import { CreateUsages1763773400000 } from './migrations/1763773400000-create-usages';
import { AddUsageUserCreatedIndex1763773410000 } from './migrations/1763773410000-add-usage-user-created-index';
import { CreateUsagePeriodUser1763773420000 } from './migrations/1763773420000-create-usage-period-user';
import { CreateUpstreamKeys1763773500000 } from './migrations/1763773500000-create-upstream-keys';
import { CreateModelPrices1763773500100 } from './migrations/1763773500100-create-model-prices';
import { AddUserSsoFields1763773600000 } from './migrations/1763773600000-add-user-sso-fields';
import { CreateSsoApps1763773600100 } from './migrations/1763773600100-create-sso-apps';
import { StorePricesAsMicroUsd1764000001000 } from './migrations/1764000001000-store-prices-as-micro-usd';
import { CreateSsoReplayClaims1764000003000 } from './migrations/1764000003000-create-sso-replay-claims';
import { CreateSsoLinks1764000003100 } from './migrations/1764000003100-create-sso-links';
import { ExactUserNames1764000003200 } from './migrations/1764000003200-exact-user-names';
import { AddPasswordChangeFlags1764000003300 } from './migrations/1764000003300-add-password-change-flags';
import { CreateChangeEvents1764000004000 } from './migrations/1764000004000-create-change-events';
import { CreateQuotaLedger1764000004100 } from './migrations/1764000004100-create-quota-ledger';
import { AddCachedInputPrice1764000004200 } from './migrations/1764000004200-add-cached-input-price';
import { NullableUsageToken1764000004300 } from './migrations/1764000004300-nullable-usage-token';
import { CreatePolicyV21764000004400 } from './migrations/1764000004400-create-policy-v2';
import { UniqueUpstreamKeys1764000005000 } from './migrations/1764000005000-unique-upstream-keys';
import { CreateUsageHourly1764000007000 } from './migrations/1764000007000-create-usage-hourly';
import { CreateAuditRecords1764000008000 } from './migrations/1764000008000-create-audit-records';

/** Every migration in order (classes, not globs, so ts-jest, ts-node and dist all load them). */
export const MIGRATIONS = [CreateUsers1763773200000, CreateTokens1763773300000, CreateUsages1763773400000, AddUsageUserCreatedIndex1763773410000, CreateUsagePeriodUser1763773420000, CreateUpstreamKeys1763773500000, CreateModelPrices1763773500100, AddUserSsoFields1763773600000, CreateSsoApps1763773600100, StorePricesAsMicroUsd1764000001000, CreateSsoReplayClaims1764000003000, CreateSsoLinks1764000003100, ExactUserNames1764000003200, AddPasswordChangeFlags1764000003300, CreateChangeEvents1764000004000, CreateQuotaLedger1764000004100, AddCachedInputPrice1764000004200, NullableUsageToken1764000004300, CreatePolicyV21764000004400, UniqueUpstreamKeys1764000005000, CreateUsageHourly1764000007000, CreateAuditRecords1764000008000];
