import fc from 'fast-check';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { DocumentOperation, OperationSchema } from '../support/openapi-operations';

/** One generated request: path and query values (strings, percent-encoded by {@link encodeLoose}), a body and how it is sent. */
export interface FuzzRequest {
  params: Record<string, string>;
  query: [string, string][];
  /** `json`: the body JSON-serialised; `form`: form-encoded; `raw`: the bytes as they are, as JSON; `none`: no body. */
  bodyKind: 'json' | 'form' | 'raw' | 'none';
  body: unknown;
  newApiUser?: string;
}

/** Depth down to which a schema is followed (recursive schemas, nested objects). */
const MAX_DEPTH = 4;

/**
 * Values no schema asks for and a server must refuse with a 4xx: lone surrogates, control and
 * unusual characters, very long strings, numbers beyond every column (2^63, 1e308, fractions where
 * integers go), wrong types (null, booleans, arrays, objects), prototype keys, deep nesting.
 */
export function hostileValue(): fc.Arbitrary<unknown> {
  const strings = fc.constantFrom(
    '\ud800',
    'a\udfffb',
    '\udc00\ud800',
    '\u0000',
    '\u202e\u0661',
    '💸'.repeat(40),
    '',
    ' ',
    '%00',
    '../../etc/passwd',
    "' OR 1=1 --",
    '__proto__',
    'constructor',
    '1e400',
    '-1',
    '0x10',
    '9'.repeat(40),
    'NaN',
    'null',
    'true',
    '2026-02-30T25:61:61Z',
    '+99:99',
  );
  const long = fc.constantFrom('x'.repeat(70_000), '\ud800'.repeat(5_000), 'é'.repeat(20_000));
  const numbers = fc.constantFrom(2 ** 63, -(2 ** 63), 2 ** 53 + 1, Number.MAX_VALUE, -Number.MAX_VALUE, 1e-300, -0, 0.5, -1, 4294967296);
  const shapes = fc.constantFrom<unknown>(null, true, false, [], {}, [null], { __proto__: { admin: true } }, JSON.parse('{"__proto__":{"role":100}}'));
  const nested = fc.integer({ min: 20, max: 400 }).map((depth) => {
    let value: unknown = 'deep';
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
    return value;
  });
  return fc.oneof(strings, long, numbers, shapes, nested, fc.string({ unit: 'binary', maxLength: 20 }), fc.double());
}

/** The schema a `$ref` names (`#/components/schemas/X`), or `schema` itself. */
function resolve(document: OpenAPIObject, schema: OperationSchema): OperationSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return (document.components?.schemas?.[name] as OperationSchema | undefined) ?? {};
}

/** Values for `schema`, with a hostile value in about one field of six. */
export function schemaValue(document: OpenAPIObject, schema: OperationSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: validish(document, schema ?? {}, depth), weight: 5 }, { arbitrary: hostileValue(), weight: 1 });
}

/** Values that follow `schema` (its type, enum, bounds, examples), not always within its bounds. */
function validish(document: OpenAPIObject, raw: OperationSchema, depth: number): fc.Arbitrary<unknown> {
  const schema = resolve(document, raw);
  const nullable = (arbitrary: fc.Arbitrary<unknown>) => (schema.nullable ? fc.option(arbitrary, { nil: null, freq: 5 }) : arbitrary);
  if (depth > MAX_DEPTH) return fc.constant(schema.example ?? null);
  if (schema.enum?.length) return nullable(fc.oneof(fc.constantFrom(...schema.enum), fc.string({ maxLength: 8 })));
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants?.length) return fc.oneof(...variants.map((variant) => validish(document, variant, depth + 1)));
  if (schema.allOf?.length) {
    const merged: OperationSchema = { type: 'object', properties: {}, required: [] };
    for (const part of schema.allOf.map((p) => resolve(document, p))) {
      Object.assign(merged.properties!, part.properties ?? {});
      merged.required!.push(...(part.required ?? []));
    }
    return validish(document, merged, depth);
  }
  const example = schema.example !== undefined ? [fc.constant(schema.example)] : [];
  switch (schema.type) {
    case 'integer': {
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? 2_000_000_000;
      return nullable(fc.oneof(...example, fc.integer({ min: Math.max(min, -2_000_000_000), max: Math.min(max, 2_000_000_000) }), fc.constantFrom(min - 1, max + 1, 0)));
    }
    case 'number':
      return nullable(fc.oneof(...example, fc.double({ noNaN: true, min: -1e6, max: 1e6 })));
    case 'boolean':
      return nullable(fc.oneof(fc.boolean(), fc.constantFrom('true', '1', 0)));
    case 'string':
      if (schema.format === 'date-time') return nullable(fc.oneof(...example, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())));
      return nullable(fc.oneof(...example, fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 80) }), fc.string({ unit: 'grapheme', maxLength: 12 })));
    case 'array':
      return nullable(fc.oneof(...example, fc.array(schemaValue(document, schema.items, depth + 1), { maxLength: 4 })));
    default: {
      if (schema.type === 'object' || schema.properties) {
        const props = schema.properties ?? {};
        const record = fc.record(
          Object.fromEntries(Object.entries(props).map(([name, property]) => [name, schemaValue(document, property, depth + 1)])),
          { requiredKeys: (schema.required ?? []).filter((name) => name in props) },
        );
        const extra = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });
        return nullable(fc.oneof({ arbitrary: record, weight: 4 }, { arbitrary: fc.tuple(record, extra).map(([a, b]) => ({ ...b, ...a })), weight: 1 }, ...example));
      }
      return fc.oneof(...example, fc.jsonValue({ maxDepth: 2 }));
    }
  }
}

/** `value` as a path or query string: text as it is, anything else as JSON. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

/**
 * `encodeURIComponent`, except that a lone surrogate (which it refuses) becomes `%ED%A0%80`, the
 * bytes of one, which are not UTF-8 either: the server must refuse those too.
 */
export function encodeLoose(text: string): string {
  return Array.from(text)
    .map((char) => {
      try {
        return encodeURIComponent(char);
      } catch {
        return '%ED%A0%80';
      }
    })
    .join('');
}

/** Raw bodies no JSON parser takes in one piece: bytes that are not UTF-8, cut JSON, very deep arrays, a JSON scalar. */
const RAW_BODIES = fc.constantFrom<unknown>(
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
  Buffer.from([0xff, 0xfe, 0x00]),
  '{"a":',
  '['.repeat(20_000) + ']'.repeat(20_000),
  '{"a":1,"a":2}',
  '1e999999',
  '"\\ud800"',
  '[]',
  'null',
  '{"model":"\\udfff","messages":[{"role":"user","content":"\\ud800"}]}',
);

/**
 * Requests for `operation`: each path parameter, some query parameters and the body drawn from
 * their schemas with hostile values mixed in; sometimes the body is raw bytes or sent form-encoded.
 */
export function requestFor(document: OpenAPIObject, operation: DocumentOperation): fc.Arbitrary<FuzzRequest> {
  const path = operation.parameters.filter((p) => p.in === 'path');
  const query = operation.parameters.filter((p) => p.in === 'query');
  const params = fc.record(
    Object.fromEntries(path.map((p) => [p.name, schemaValue(document, p.schema).map((v) => asText(v) || '0')])),
  ) as fc.Arbitrary<Record<string, string>>;
  const queryValues = fc.array(
    fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...(query.length ? query.map((p) => p.name) : ['x'])), weight: 5 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 }), fc.constant(null)).chain(([name]) => {
      const schema = query.find((p) => p.name === name)?.schema;
      return schemaValue(document, schema).map((value) => [name, asText(value)] as [string, string]);
    }),
    { maxLength: query.length + 1 },
  );
  const medias = Object.keys(operation.bodies);
  const json = medias.find((m) => m.includes('json')) ?? medias[0];
  const kinds: fc.WeightedArbitrary<Pick<FuzzRequest, 'bodyKind' | 'body'>>[] = [
    { arbitrary: schemaValue(document, operation.bodies[json]).map((b) => ({ bodyKind: 'json' as const, body: b })), weight: 6 },
    { arbitrary: RAW_BODIES.map((b) => ({ bodyKind: 'raw' as const, body: b })), weight: 1 },
  ];
  const form = medias.find((m) => m.includes('form'));
  if (form) kinds.push({ arbitrary: schemaValue(document, operation.bodies[form]).map((b) => ({ bodyKind: 'form' as const, body: b })), weight: 2 });
  const body = medias.length ? fc.oneof(...kinds) : fc.constant({ bodyKind: 'none' as const, body: undefined });
  const newApiUser = fc.option(fc.constantFrom('0', '-1', '99999999999999999999', 'abc', '1 1', ''), { freq: 8 });
  return fc.record({ params, query: queryValues, body, newApiUser }).map(({ params, query, body, newApiUser }) => ({ params, query, ...body, newApiUser: newApiUser ?? undefined }));
}
