import type { OpenAPIObject } from '@nestjs/swagger';
import { errorBody, RouteFamily, routeFamilyOf } from './route-family';

type Schema = Record<string, unknown>;

/** The error body schema of each route family, as {@link errorBody} renders it. */
const ERROR_SCHEMAS: Record<string, Schema> = {
  NewApiError: {
    type: 'object',
    description: 'new-api error (`/api/*`, seed 002)',
    required: ['success', 'message'],
    properties: { success: { type: 'boolean', example: false }, message: { type: 'string' } },
  },
  MessageError: {
    type: 'object',
    description: 'seed 003 error (`/1/*` and others)',
    required: ['message'],
    properties: { message: { type: 'string' } },
  },
  SsoError: {
    type: 'object',
    description: 'seed 004 error (`/plugin/*`, `/sso/*`): `code` is the HTTP status as a string',
    required: ['success', 'msg', 'code'],
    properties: { success: { type: 'boolean', example: false }, msg: { type: 'string' }, code: { type: 'string', example: '403' } },
  },
  OpenAiError: {
    type: 'object',
    description: 'OpenAI error (`/v1/*`)',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['message', 'type', 'code'],
        properties: {
          message: { type: 'string' },
          type: { type: 'string', example: 'invalid_request_error' },
          code: { type: 'string', nullable: true, example: 'model_not_found' },
        },
      },
    },
  },
};

const SCHEMA_OF: Record<RouteFamily, string> = {
  'new-api': 'NewApiError',
  'admin-v1': 'MessageError',
  plain: 'MessageError',
  sso: 'SsoError',
  openai: 'OpenAiError',
};

type Operation = { parameters?: unknown[]; requestBody?: unknown; responses?: Record<string, { description?: string; content?: unknown; headers?: Record<string, unknown> }> };

/** Every operation of `document` with its path. */
function operationsOf(document: OpenAPIObject): { path: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.values(item as Record<string, Operation>)
      .filter((operation) => operation && typeof operation === 'object' && 'responses' in operation)
      .map((operation) => ({ path, operation })),
  );
}

/**
 * Adds the errors the request pipeline gives any route, where a route declares none for that
 * status: 400 on every operation that takes parameters or a body (the global validation pipe and
 * the body parsers: the message names the field, or says the JSON is malformed), and 413 on every
 * operation that takes a body (`BODY_LIMIT`). Mutates and returns `document`; run it before
 * {@link describeErrorBodies}.
 */
export function describePipelineErrors(document: OpenAPIObject): OpenAPIObject {
  for (const { operation } of operationsOf(document)) {
    const responses = (operation.responses ??= {});
    if ((operation.parameters?.length || operation.requestBody) && !responses['400']) {
      responses['400'] = { description: 'invalid input: the message names the field (or says the body is malformed)' };
    }
    if (operation.requestBody && !responses['413']) responses['413'] = { description: 'body over BODY_LIMIT' };
  }
  return document;
}

/**
 * Gives every 4xx/5xx response of `document` that declares no content its route family's error
 * body (schema `NewApiError`, `MessageError`, `SsoError` or `OpenAiError`), with an example built by
 * {@link errorBody} from the first paragraph of the response's description, so Swagger shows what
 * the exception filter really sends; the relay's also get OpenAI's `x-should-retry` header (see
 * shouldRetry). Responses that already declare content are left alone. Mutates and returns `document`.
 */
export function describeErrorBodies(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  for (const [name, schema] of Object.entries(ERROR_SCHEMAS)) document.components.schemas[name] ??= schema;
  for (const { path, operation } of operationsOf(document)) {
    const family = routeFamilyOf(path);
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      if (!/^[45]\d\d$/.test(status) || response.content) continue;
      const example = errorBody(family, Number(status), (response.description || 'error').split('\n\n')[0]);
      response.content = { 'application/json': { schema: { $ref: `#/components/schemas/${SCHEMA_OF[family]}` }, example } };
      if (family === 'openai') {
        response.headers = {
          'x-should-retry': {
            description: 'false when the same request cannot succeed (OpenAI SDKs then do not retry it)',
            schema: { type: 'string', enum: ['true', 'false'] },
          },
        };
      }
    }
  }
  return document;
}
