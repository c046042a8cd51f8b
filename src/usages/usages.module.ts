import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsageDailyEntity } from './entities/usage-daily.entity';
import { UsagePeriodUserEntity } from './entities/usage-period-user.entity';
import { UsageRecordEntity } from './entities/usage-record.entity';
import { UsageRecorder } from './usage-recorder.service';
import { UsageRetentionService } from './usage-retention.service';
import { UsagesController } from './usages.controller';
import { UsagesService } from './usages.service';

/**
 * Usage records, daily rollups and their reports (issue 5). Exports {@link UsageRecorder} for the
 * relay, which writes one record (and its rollup) per request.
 */
@Module({
  imports: [TypeOrmModule.forFeature([UsageRecordEntity, UsageDailyEntity, UsagePeriodUserEntity])],
  controllers: [UsagesController],
  providers: [UsageRecorder, UsagesService, UsageRetentionService],
  exports: [UsageRecorder],
})
export class UsagesModule {}
