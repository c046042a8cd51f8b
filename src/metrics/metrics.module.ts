import { Global, Module } from '@nestjs/common';
import { MeteringModule } from '../metering/metering.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** Prometheus metrics (`GET /metrics`, behind `METRICS_TOKEN`); the relay records into {@link MetricsService}. */
@Global()
@Module({
  imports: [MeteringModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
