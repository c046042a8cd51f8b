import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ConfigService } from '@nestjs/config';
import { Logger } from 'nestjs-pino';
import { API_TOKEN_SCHEME, BEARER_SCHEME, NEW_API_USER_SCHEME, SSO_JWT_SCHEME } from './common/auth/auth.decorators';
import { describeErrorBodies, describePipelineErrors } from './common/http/openapi-errors';
import { noStoreForAccountRoutes, securityHeaders } from './common/http/security-headers';
import { EnvironmentVariables } from './config/env.validation';
import { parseTrustProxy } from './config/trust-proxy';
import { OPENAI_SCHEMAS } from './relay/openai-schemas';
import { RelayHttpHandler } from './relay/relay-http.handler';

/** OpenAPI tags, one per module, with their descriptions. */
export const API_TAGS: Record<string, string> = {
  Users: 'Users and their access tokens, password login and sessions (seed 003; bare objects, errors `{message}`)',
  Tokens: 'API tokens (`sk-…`) as new-api serves them (seeds 000–002; `{success, message, data}`); every route but `GET /api/usage/token` needs `New-Api-User`',
  Keys: 'Upstream provider keys (OpenAI, Azure OpenAI), admin only, always masked (seed 003)',
  Relay: 'The OpenAI-compatible relay under `/v1`, metered against an API token (`sk-…`); OpenAI objects and errors',
  Prices: 'Model prices in USD per 1M tokens: any user reads them, admins change them',
  Usages: 'Usage reports: cost and tokens per user, day and model, raw records and CSV (seed 003)',
  'SSO Token Apps': "JWT single sign-on apps as Datafor's token API (seed 004; `{success, msg}`), and the SSO login",
  Audit: 'The audit log: every admin change of users, keys, prices and SSO apps, and every login (admin only)',
  Health: 'Liveness and readiness probes',
};

/**
 * The OpenAPI 3 document served at `/docs-json`: the routes as Nest's Swagger explorer and the CLI
 * plugin describe them, OpenAI's schemas for the relay, four security schemes (`bearer`: a user
 * access or session token; `newApiUser`: seed 000's `New-Api-User` header beside it on `/api/`;
 * `apiToken`: an `sk-` API token; `ssoJwt`: an SSO app's JWT), `security: []` on the routes that
 * take no credentials (every other route declares its scheme through its auth decorator), the
 * errors the request pipeline gives any route, and every error's body in its family's envelope.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Tollgate')
    .setDescription(
      'Control plane for an LLM API gateway: users, API tokens with quotas and limits, upstream keys, ' +
        'an OpenAI-compatible metering relay, usage reports and JWT SSO apps.',
    )
    .setVersion('0.1.0')
    .setLicense('UNLICENSED', 'https://docs.npmjs.com/cli/v10/configuring-npm/package-json#license')
    .addServer('/', 'this server')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'a user access token (UUID) or session token (`tgs_…`)' }, BEARER_SCHEME)
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'New-Api-User', description: "your user id (`GET /1/me` shows it), sent with the bearer token on every `/api/token` route (seed 000)" },
      NEW_API_USER_SCHEME,
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'sk-…', description: 'an API token: `sk-` and 48 characters (reveal it with `POST /api/token/{id}/key`); on `/v1` a user access token works too' }, API_TOKEN_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "a JWT signed for an SSO app (its secret or private key)" }, SSO_JWT_SCHEME);
  for (const [name, description] of Object.entries(API_TAGS)) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build());
  document.components = { ...document.components, schemas: { ...OPENAI_SCHEMAS, ...document.components?.schemas } };
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      if (operation && typeof operation === 'object' && 'responses' in operation && !('security' in operation)) Object.assign(operation, { security: [] });
    }
  }
  return describeErrorBodies(describePipelineErrors(document));
}

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

  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}
