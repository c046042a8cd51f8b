import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildSchemaToolOptions } from './src/database/data-source-options';

/**
 * TypeORM CLI entry (`npm run migration:run`, `npm run migration:generate -- src/database/migrations/Name`).
 * Same options as the app, from `DATABASE_URL`, except that a MariaDB server is declared as `mariadb`
 * so that `migration:generate` reads its schema right (see buildSchemaToolOptions).
 */
export default buildSchemaToolOptions(process.env.DATABASE_URL).then((options) => new DataSource(options));
