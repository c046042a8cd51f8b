import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditController } from './audit.controller';
import { AuditRetentionService } from './audit-retention.service';
import { AuditService } from './audit.service';
import { AuditRecordEntity } from './entities/audit-record.entity';

/** The audit log: {@link AuditService} for every domain that records (global), `GET /1/audit`, and its retention. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditRecordEntity])],
  controllers: [AuditController],
  providers: [AuditService, AuditRetentionService],
  exports: [AuditService],
})
export class AuditModule {}
