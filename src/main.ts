import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigService } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { logUnhandledRejections } from './common/logging/unhandled-rejections';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), { bodyParser: false, bufferLogs: true });
  logUnhandledRejections(app.get(Logger));
  configureApp(app);
  await app.listen(app.get(ConfigService).get<number>('PORT') ?? 3000);
}

bootstrap().catch((error: Error) => {
  process.stderr.write(`${error.message.split('\n')[0]}\n`);
  process.exit(1);
});
