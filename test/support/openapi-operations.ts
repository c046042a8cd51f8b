import type { OpenAPIObject } from '@nestjs/swagger';

/** The parts of an OpenAPI schema the matrix and the fuzz read. */
export interface OperationSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  properties?: Record<string, OperationSchema>;
  required?: string[];
  items?: OperationSchema;
  $ref?: string;
  allOf?: OperationSchema[];
  oneOf?: OperationSchema[];
  anyOf?: OperationSchema[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  additionalProperties?: boolean | OperationSchema;
}

/** A parameter of an operation (`in`: path, query or header). */
export interface OperationParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: OperationSchema;
}

/** One operation of the document: method (lower case), path template, operationId, security scheme names, parameters, body media types. */
export interface DocumentOperation {
  method: string;
  path: string;
  operationId: string;
  /** Names of the schemes of its first security requirement (`[]` for a public route). */
  schemes: string[];
  parameters: OperationParameter[];
  /** Request body schema per media type (`application/json`, `application/x-www-form-urlencoded`). */
  bodies: Record<string, OperationSchema>;
}

/**
 * Every operation of an OpenAPI 3 document (`buildOpenApiDocument` of src/app.setup.ts, or `/docs-json`),
 * in document order.
 */
export function documentOperations(document: OpenAPIObject): DocumentOperation[] {
  const list: DocumentOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!raw || typeof raw !== 'object' || !('responses' in raw)) continue;
      const operation = raw as {
        operationId: string;
        security?: Record<string, string[]>[];
        parameters?: OperationParameter[];
        requestBody?: { content?: Record<string, { schema?: OperationSchema }> };
      };
      const bodies: Record<string, OperationSchema> = {};
      for (const [media, content] of Object.entries(operation.requestBody?.content ?? {})) bodies[media] = content.schema ?? {};
      list.push({
        method,
        path,
        operationId: operation.operationId,
        schemes: Object.keys(operation.security?.[0] ?? {}),
        parameters: operation.parameters ?? [],
        bodies,
      });
    }
  }
  return list;
}

/** `path` with each `{name}` replaced by the URL-encoded `params[name]`. @throws Error when a parameter has no value */
export function fillPath(path: string, params: Record<string, string | number>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (params[name] === undefined) throw new Error(`no value for path parameter ${name} of ${path}`);
    return encodeURIComponent(String(params[name]));
  });
}
