import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { managerRunner, SqlRunner } from '../database/sql-runner';
import { recordUsageBatch, UsageRecordInput } from './usage-batch';

export type { UsageRecordInput } from './usage-batch';

/** Usage records and their rollups through TypeORM (see {@link recordUsageBatch}). */
@Injectable()
export class UsageRecorder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records one request in `manager`'s transaction, or in a new one. */
  async record(input: UsageRecordInput, manager?: EntityManager): Promise<void> {
    if (manager) return this.recordBatch([input], managerRunner(manager));
    await this.dataSource.transaction((tx) => this.recordBatch([input], managerRunner(tx)));
  }

  /** Records `inputs` with `runner` (the caller opens and commits the transaction). */
  recordBatch(inputs: UsageRecordInput[], runner: SqlRunner): Promise<void> {
    return recordUsageBatch(inputs, runner);
  }
}
