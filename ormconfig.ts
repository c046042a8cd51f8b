import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './src/database/data-source-options';

/**
 * TypeORM CLI entry (`npm run migration:run`, `npm run migration:generate -- src/database/migrations/Name`).
 * Same options as the app, from `DATABASE_URL`.
 */
export default new DataSource(buildDataSourceOptions(process.env.DATABASE_URL));
