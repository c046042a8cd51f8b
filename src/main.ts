import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigService } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { assertPortFree, describeListenAddress } from './common/http/listen-address';
import { logUnhandledRejections } from './common/logging/unhandled-rejections';

/**
 * Starts the server. Whatever stops the start (an invalid variable, a database that refuses, a taken
 * port) ends the process with exit code 1 and one line on stderr; Nest's buffered start-up lines are
 * only printed, through the app's logger, once the app exists.
 */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false, // rethrow to the catch below instead of printing a stack and exiting
    autoFlushLogs: false, // a failed start prints its one line, not the buffered start-up lines
  });
  const logger = app.get(Logger);
  logUnhandledRejections(logger);
  configureApp(app);
  app.flushLogs();
  const port = app.get(ConfigService).get<number>('PORT') ?? 3000;
  await assertPortFree(port); // before init logs "successfully started"
  await app.listen(port);
  logger.log(describeListenAddress(app.getHttpServer().address()), 'Tollgate');
}

bootstrap().catch((error: Error) => {
  process.stderr.write(`Tollgate did not start: ${String(error?.message ?? error).split('\n')[0]}\n`);
  process.exit(1);
});
