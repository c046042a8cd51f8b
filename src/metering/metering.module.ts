import { Module } from '@nestjs/common';
import { QuotaLedger } from './quota-ledger.service';
import { QuotaResets } from './quota-resets.service';
import { RateLimitsService } from './rate-limits.service';

/** The quota ledger (leases, reservations and settlements for API tokens and users), the periodic quota resets and the rate limits. */
@Module({
  providers: [QuotaLedger, QuotaResets, RateLimitsService],
  exports: [QuotaLedger, QuotaResets, RateLimitsService],
})
export class MeteringModule {}
