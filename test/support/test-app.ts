import { Test, TestingModuleBuilder } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { TestDatabase } from './test-databases';

/** A running test app on its own database, with helpers for authenticated requests. */
export interface TestApp {
  app: NestExpressApplication;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * Boots the real AppModule (`AppModule.forRoot()` reads `process.env`) on a fresh database,
 * exactly as `main.ts` configures it. `env` overrides variables for this app only; `configure`
 * may override providers (a test clock, say).
 */
export async function createTestApp(
  database: TestDatabase,
  env: Record<string, string> = {},
  configure: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<TestApp> {
  const url = await database.create();
  const saved = { ...process.env };
  Object.assign(process.env, env, { DATABASE_URL: url });
  try {
    const moduleRef = await configure(Test.createTestingModule({ imports: [AppModule.forRoot()] })).compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, bufferLogs: true });
    configureApp(app);
    await app.init();
    return {
      app,
      http: request(app.getHttpServer()),
      async close() {
        await app.close();
        await database.drop();
      },
    };
  } finally {
    process.env = saved;
  }
}

/** `Authorization: Bearer <token>` headers, plus `New-Api-User` when `userId` is given. */
export function auth(token: string, userId?: number): Record<string, string> {
  return userId === undefined ? { Authorization: `Bearer ${token}` } : { Authorization: `Bearer ${token}`, 'New-Api-User': String(userId) };
}
