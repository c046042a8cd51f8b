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
        properties: { message: { type: 'string' }, type: { type: 'string', example: 'invalid_request_error' }, code: { type: 'string', nullable: true } },
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

/**
 * Gives every 4xx/5xx response of `document` that declares no content its route family's error
 * body (schema `NewApiError`, `MessageError`, `SsoError` or `OpenAiError`), with an example built by
 * {@link errorBody} from the response's description, so Swagger shows what the exception filter
 * really sends. Responses that already declare content are left alone. Mutates and returns `document`.
 */
export function describeErrorBodies(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  for (const [name, schema] of Object.entries(ERROR_SCHEMAS)) document.components.schemas[name] ??= schema;
  for (const [path, item] of Object.entries(document.paths)) {
    const family = routeFamilyOf(path);
    for (const operation of Object.values(item)) {
      const responses = (operation as { responses?: Record<string, { description?: string; content?: unknown }> })?.responses;
      if (!responses) continue;
      for (const [status, response] of Object.entries(responses)) {
        if (!/^[45]\d\d$/.test(status) || response.content) continue;
        const example = errorBody(family, Number(status), response.description || 'error');
        response.content = { 'application/json': { schema: { $ref: `#/components/schemas/${SCHEMA_OF[family]}` }, example } };
      }
    }
  }
  return document;
}
