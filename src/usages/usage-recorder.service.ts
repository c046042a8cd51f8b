import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { managerRunner } from '../database/sql-runner';
import { recordUsageBatch, UsageRecordInput } from './usage-batch';

export type { UsageRecordInput } from './usage-batch';

/**
 * One usage record and its rollups through TypeORM (see {@link recordUsageBatch}): for one-off
 * records and tests. The relay writes its batches with `recordUsageBatch` directly.
 */
@Injectable()
export class UsageRecorder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records one request in `manager`'s transaction, or in a new one. */
  async record(input: UsageRecordInput, manager?: EntityManager): Promise<void> {
    if (manager) return recordUsageBatch([input], managerRunner(manager));
    await this.dataSource.transaction((tx) => recordUsageBatch([input], managerRunner(tx)));
  }
}
