import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ConfigService } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { BEARER_SCHEME } from './common/auth/auth.decorators';
import { describeErrorBodies } from './common/http/openapi-errors';
import { noStoreForAccountRoutes, securityHeaders } from './common/http/security-headers';
import { EnvironmentVariables } from './config/env.validation';
import { parseTrustProxy } from './config/trust-proxy';
import { RelayHttpHandler } from './relay/relay-http.handler';

/** OpenAPI tags, one per module. */
export const API_TAGS = ['Users', 'Tokens', 'Keys', 'Relay', 'Prices', 'Usages', 'SSO Token Apps', 'Health'];

/**
 * Everything `main.ts` and the e2e app factory share: the pino logger, security headers and
 * `Cache-Control: no-store` (see security-headers.ts), `trust proxy`, the relay's fast path,
 * Swagger UI at `/docs` (JSON at `/docs-json`) and shutdown hooks (SIGTERM drains in-flight
 * requests, then closes the database). The app must be created with `{ bodyParser: false,
 * bufferLogs: true }`: the body parsers are mounted by `AppModule.configure`, after the request
 * logger (see body-parsers.ts).
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get<ConfigService<EnvironmentVariables, true>>(ConfigService);
  app.useLogger(app.get(Logger));
  app.use(securityHeaders(), noStoreForAccountRoutes);
  app.set('trust proxy', parseTrustProxy(config.get('TRUST_PROXY', { infer: true })));
  app.disable('x-powered-by');
  const express = app.getHttpAdapter().getInstance() as { get(setting: string): (address: string, index: number) => boolean };
  app.get(RelayHttpHandler, { strict: false }).install(app.getHttpServer(), express.get('trust proxy fn'));
  app.enableShutdownHooks();

  const builder = new DocumentBuilder()
    .setTitle('Tollgate')
    .setDescription(
      'Control plane for an LLM API gateway: users, API tokens with quotas and limits, upstream keys, ' +
        'an OpenAI-compatible metering relay, usage reports and JWT SSO apps.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'user access token, session token, or (for /v1) an sk- API token' }, BEARER_SCHEME);
  for (const tag of API_TAGS) builder.addTag(tag);
  const document = describeErrorBodies(SwaggerModule.createDocument(app, builder.build()));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
