import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BuiltServer, startBuiltServer } from './support/built-server';

type Schema = { type?: string; format?: string; example?: unknown; enum?: unknown[]; properties?: Record<string, Schema>; items?: Schema; $ref?: string; [key: string]: unknown };
type Parameter = { name: string; in: string; example?: unknown; schema?: Schema; required?: boolean };
type Operation = {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema; examples?: Record<string, { value: Record<string, unknown> }>; encoding?: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }>; headers?: Record<string, unknown> }>;
};
type Document = {
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Record<string, unknown>> };
};

/**
 * The operationIds clients are generated with: the method names of every generated SDK, read by
 * the fuzz and authorization-matrix tests too. A rename breaks every client: change one only on purpose.
 */
const OPERATION_IDS: Record<string, string> = {
  'get /healthz': 'getHealth',
  'get /readyz': 'getReadiness',
  'post /1/users/init': 'initRoot',
  'get /1/me': 'getMe',
  'put /1/me/password': 'changePassword',
  'get /1/users': 'listUsers',
  'post /1/users': 'createUser',
  'patch /1/users/{id}': 'updateUser',
  'delete /1/users/{id}': 'deleteUser',
  'post /1/users/{id}/reset': 'resetUserToken',
  'post /1/login': 'login',
  'post /1/logout': 'logout',
  'get /1/keys': 'listKeys',
  'post /1/keys': 'createKey',
  'patch /1/keys/{id}': 'updateKey',
  'delete /1/keys/{id}': 'deleteKey',
  'get /1/prices': 'listPrices',
  'put /1/prices': 'setPrices',
  'delete /1/prices/{model}': 'deletePrice',
  'post /v1/chat/completions': 'createChatCompletion',
  'post /v1/completions': 'createCompletion',
  'post /v1/embeddings': 'createEmbedding',
  'post /v1/responses': 'createResponse',
  'get /v1/models/{id}': 'retrieveModel',
  'get /v1/models': 'listModels',
  'post /plugin/datafor-modeler/api/token/update': 'updateSsoApp',
  'get /plugin/datafor-modeler/api/token/list': 'listSsoApps',
  'get /plugin/datafor-modeler/api/token/content': 'getSsoApp',
  'post /plugin/datafor-modeler/api/token/delete': 'deleteSsoApp',
  'post /plugin/datafor-modeler/api/token/deleteBatch': 'deleteSsoApps',
  'post /plugin/datafor-modeler/api/token/link': 'linkSsoUser',
  'post /plugin/datafor-modeler/api/token/unlink': 'unlinkSsoUser',
  'post /plugin/datafor-modeler/api/token/generate': 'generateSsoToken',
  'get /sso/{name}': 'ssoLogin',
  'post /sso/{name}': 'ssoLoginWithBearer',
  'get /api/token': 'listTokens',
  'post /api/token': 'createToken',
  'put /api/token': 'updateToken',
  'get /api/token/search': 'searchTokens',
  'post /api/token/batch/keys': 'revealTokenKeys',
  'post /api/token/batch': 'deleteTokens',
  'put /api/token/batch': 'updateTokens',
  'get /api/token/{id}': 'getToken',
  'delete /api/token/{id}': 'deleteToken',
  'post /api/token/{id}/key': 'revealTokenKey',
  'post /api/token/{id}/rotate': 'rotateTokenKey',
  'get /api/usage/token': 'getTokenUsage',
  'get /1/usages': 'listUsages',
  'get /1/usages/daily': 'listDailyUsages',
  'get /1/usages/logs': 'listUsageLogs',
  'get /1/usages/export': 'exportUsages',
  'get /1/me/usages': 'getMyUsage',
  'get /1/audit': 'listAuditRecords',
};

/** The only fields typed `number` (fractions): OpenAI's sampling parameters and embedding values. */
const FRACTIONS = [
  'CreateChatCompletionRequest.frequency_penalty',
  'CreateChatCompletionRequest.presence_penalty',
  'CreateChatCompletionRequest.temperature',
  'CreateChatCompletionRequest.top_p',
  'CreateCompletionRequest.frequency_penalty',
  'CreateCompletionRequest.presence_penalty',
  'CreateCompletionRequest.temperature',
  'CreateCompletionRequest.top_p',
  'CreateResponse.temperature',
  'CreateResponse.top_p',
  'Embedding.embedding[]',
];

/** Every operation of the document, with its method and path. */
function operations(document: Document): { key: string; method: string; path: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ key: `${method} ${path}`, method, path, operation })));
}

/** Calls `visit` on every schema under `schema`, with a dotted path. */
function walk(schema: Schema | undefined, path: string, visit: (schema: Schema, path: string) => void): void {
  if (!schema || typeof schema !== 'object') return;
  visit(schema, path);
  for (const [name, property] of Object.entries(schema.properties ?? {})) walk(property, `${path}.${name}`, visit);
  if (schema.items) walk(schema.items, `${path}[]`, visit);
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) list.forEach((item: Schema) => walk(item, path, visit));
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') walk(schema.additionalProperties as Schema, `${path}{}`, visit);
}

/** Every schema of the document: components, parameters, request and response bodies. */
function everySchema(document: Document, visit: (schema: Schema, path: string) => void): void {
  for (const [name, schema] of Object.entries(document.components.schemas)) walk(schema, name, visit);
  for (const { key, operation } of operations(document)) {
    for (const parameter of operation.parameters ?? []) walk(parameter.schema, `${key} ${parameter.name}`, visit);
    for (const [media, content] of Object.entries(operation.requestBody?.content ?? {})) walk(content.schema, `${key} body ${media}`, visit);
    for (const [status, response] of Object.entries(operation.responses)) {
      for (const [media, content] of Object.entries(response.content ?? {})) walk(content.schema, `${key} ${status} ${media}`, visit);
    }
  }
}

/**
 * The document the built server serves at `/docs-json`, as client generators read it: valid for
 * redocly, operationIds named for the methods clients call, integers and date-times typed, a
 * security scheme on every operation, every error documented in its family's body.
 */
describe('the OpenAPI document (/docs-json of the built server)', () => {
  let server: BuiltServer;
  let document: Document;

  beforeAll(async () => {
    server = await startBuiltServer({ seed: false });
    document = (await server.http.get('/docs-json').expect(200)).body as Document;
  });
  afterAll(async () => server?.close());

  it('passes redocly lint (recommended rules) with no error; the only warnings are the health probes, which have no 4xx', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const lint = await promisify(execFile)(resolve(__dirname, '../../node_modules/.bin/redocly'), ['lint', file, '--format=json'], { maxBuffer: 64 * 1024 * 1024 }).catch(
        (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
      );
      const report = JSON.parse(lint.stdout) as { problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };
      const problems = report.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
      expect(problems).toEqual([
        'warn operation-4xx-response #/paths/~1healthz/get/responses: Operation must have at least one `4XX` response.',
        'warn operation-4xx-response #/paths/~1readyz/get/responses: Operation must have at least one `4XX` response.',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names every operation for the method a client calls, uniquely, as pinned', () => {
    const found = Object.fromEntries(operations(document).map(({ key, operation }) => [key, operation.operationId]));
    expect(found).toEqual(OPERATION_IDS);
    expect(new Set(Object.values(found)).size).toBe(Object.keys(found).length);
  });

  it('has a server, and a description on every tag', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    expect((document.tags ?? []).filter((tag) => !tag.description)).toEqual([]);
  });

  it('types every count, id, quota and unix time as an integer: the only numbers are OpenAI fractions', () => {
    const numbers = new Set<string>();
    everySchema(document, (schema, path) => {
      if (schema.type === 'number' && !path.startsWith('get /readyz ')) numbers.add(path); // terminus' own answer: responseTime in ms
    });
    expect([...numbers].sort()).toEqual(FRACTIONS);
    const token = document.components.schemas.TokenResponseDto.properties!;
    expect([token.id.type, token.remain_quota.type, token.expired_time.type, token.created_time.type]).toEqual(['integer', 'integer', 'integer', 'integer']);
    const id = operations(document).find((o) => o.key === 'get /api/token/{id}')!.operation.parameters!.find((p) => p.name === 'id')!;
    expect(id.schema?.type).toBe('integer');
  });

  it('marks every ISO-8601 time as date-time and every day as date', () => {
    const wrong: string[] = [];
    everySchema(document, (schema, path) => {
      if (typeof schema.example === 'string' && /^\d{4}-\d\d-\d\dT/.test(schema.example) && schema.format !== 'date-time') wrong.push(path);
      if (/\.(createdAt|updatedAt)$/.test(path) && schema.format !== 'date-time') wrong.push(path);
    });
    expect(wrong).toEqual([]);
    const from = operations(document).find((o) => o.key === 'get /1/usages')!.operation.parameters!.find((p) => p.name === 'from')!;
    expect(from.schema?.format).toBe('date');
  });

  it('lists the values of roles and statuses as enums', () => {
    const { schemas } = document.components;
    expect(schemas.UserResponseDto.properties!.role.enum).toEqual([1, 10, 100]);
    expect(schemas.UpdateUserDto.properties!.role.enum).toEqual([1, 10]);
    expect(schemas.UpdateUserDto.properties!.status.enum).toEqual([1, 2]);
    expect(schemas.TokenResponseDto.properties!.status.enum).toEqual([1, 2, 3, 4]);
    expect(schemas.KeyResponseDto.properties!.status.enum).toEqual([1, 2, 3]);
    expect(schemas.UpdateKeyDto.properties!.status.enum).toEqual([1, 2]);
    expect(schemas.ChatCompletionRequestMessage.properties!.role.enum).toEqual(['developer', 'system', 'user', 'assistant', 'tool', 'function']);
  });

  it('declares security on every operation: [] on public ones, the sk- scheme on the relay and token usage, New-Api-User beside the bearer on /api/token', () => {
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['apiToken', 'bearer', 'newApiUser', 'ssoJwt']);
    expect(document.components.securitySchemes.newApiUser).toMatchObject({ type: 'apiKey', in: 'header', name: 'New-Api-User' });
    const byKey = Object.fromEntries(operations(document).map(({ key, operation }) => [key, operation.security]));
    expect(Object.entries(byKey).filter(([, security]) => security === undefined)).toEqual([]);
    const expected = (key: string) => {
      if (['get /healthz', 'get /readyz', 'post /1/users/init', 'post /1/login', 'get /sso/{name}'].includes(key)) return [];
      if (key.includes(' /v1/') || key === 'get /api/usage/token') return [{ apiToken: [] }];
      if (key === 'post /sso/{name}') return [{ ssoJwt: [] }];
      if (key.includes(' /api/token')) return [{ bearer: [], newApiUser: [] }];
      return [{ bearer: [] }];
    };
    expect(byKey).toEqual(Object.fromEntries(Object.keys(byKey).map((key) => [key, expected(key)])));
    const headers = operations(document).flatMap(({ key, operation }) => (operation.parameters ?? []).filter((p) => p.in === 'header').map((p) => `${key} ${p.name}`));
    expect(headers).toEqual([]);
  });

  it('documents the errors every route can give: 400 with input, 413 with a body, 401 with credentials, each in its family body', () => {
    const missing: string[] = [];
    for (const { key, operation } of operations(document)) {
      const statuses = Object.keys(operation.responses);
      if ((operation.parameters?.length || operation.requestBody) && !statuses.includes('400')) missing.push(`${key} 400`);
      if (operation.requestBody && !statuses.includes('413')) missing.push(`${key} 413`);
      if (operation.security?.length && !statuses.includes('401')) missing.push(`${key} 401`);
      if (key.includes(' /v1/')) {
        for (const status of statuses.filter((s) => /^[45]/.test(s))) {
          if (operation.responses[status].content?.['application/json']?.schema?.$ref !== '#/components/schemas/OpenAiError') missing.push(`${key} ${status} OpenAiError`);
          if (!operation.responses[status].headers?.['x-should-retry']) missing.push(`${key} ${status} x-should-retry`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('describes the relay bodies with OpenAI schemas: JSON answers, and the stream chunks as text/event-stream', () => {
    const relay = (key: string) => operations(document).find((o) => o.key === key)!.operation;
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    const chat = relay('post /v1/chat/completions');
    expect(chat.requestBody?.content['application/json'].schema).toEqual(ref('CreateChatCompletionRequest'));
    expect(chat.responses['200'].content).toEqual({
      'application/json': { schema: ref('CreateChatCompletionResponse') },
      'text/event-stream': { schema: ref('CreateChatCompletionStreamResponse') },
    });
    expect(relay('post /v1/embeddings').responses['200'].content).toEqual({ 'application/json': { schema: ref('CreateEmbeddingResponse') } });
    expect(relay('post /v1/responses').responses['200'].content?.['application/json'].schema).toEqual(ref('ResponseObject'));
    expect(relay('get /v1/models').responses['200'].content?.['application/json'].schema).toEqual(ref('ListModelsResponse'));
    expect(relay('get /v1/models/{id}').responses['200'].content?.['application/json'].schema).toEqual(ref('Model'));
  });

  it('pre-fills examples that work as sent', () => {
    const op = (key: string) => operations(document).find((o) => o.key === key)!.operation;
    const param = (key: string, name: string) => op(key).parameters?.find((p) => p.name === name);
    expect(param('get /api/token', 'user_id')).toMatchObject({ in: 'query' });
    expect(param('get /api/token', 'user_id')?.example ?? param('get /api/token', 'user_id')?.schema?.example).toBeUndefined();
    for (const name of ['from', 'to', 'user_id']) expect(param('get /1/usages', name)?.example ?? param('get /1/usages', name)?.schema?.example).toBeUndefined();
    const created = Object.values(op('post /api/token').requestBody!.content['application/json'].examples!)[0].value;
    expect(created.expired_time === -1 || Number(created.expired_time) > Date.now() / 1000).toBe(true);
    expect(param('get /sso/{name}', 'token')).toMatchObject({ in: 'query', required: false });
    expect(op('get /api/usage/token').parameters ?? []).toEqual([]);
    expect(op('post /plugin/datafor-modeler/api/token/deleteBatch').requestBody!.content['application/x-www-form-urlencoded'].encoding).toEqual({
      names: { style: 'form', explode: true },
    });
  });
});
