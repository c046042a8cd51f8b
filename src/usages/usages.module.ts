import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsageDailyEntity } from './entities/usage-daily.entity';
import { UsageHourlyEntity } from './entities/usage-hourly.entity';
import { UsagePeriodUserEntity } from './entities/usage-period-user.entity';
import { UsageRecordEntity } from './entities/usage-record.entity';
import { UsageRecorder } from './usage-recorder.service';
import { UsageRetentionService } from './usage-retention.service';
import { UsagesController } from './usages.controller';
import { UsagesService } from './usages.service';

/**
 * Usage records, their rollups and the reports on them. The relay writes the records
 * itself, in its settlement batches (`recordUsageBatch`).
 */
@Module({
  imports: [TypeOrmModule.forFeature([UsageRecordEntity, UsageDailyEntity, UsageHourlyEntity, UsagePeriodUserEntity])],
  controllers: [UsagesController],
  providers: [UsageRecorder, UsagesService, UsageRetentionService],
})
export class UsagesModule {}
