import { Module } from '@nestjs/common';
import { QuotaLedger } from './quota-ledger.service';

/** The quota ledger: leases, reservations and settlements for API tokens and users. */
@Module({
  providers: [QuotaLedger],
  exports: [QuotaLedger],
})
export class MeteringModule {}
