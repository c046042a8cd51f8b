import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, urlencoded, type RequestHandler } from 'express';
import { assertBodyDepth, MAX_BODY_DEPTH } from './body-depth';

/** A JSON body in a charset this process cannot decode to check its depth: 415, as body-parser answers. */
function unsupportedCharset(encoding: string): Error {
  return Object.assign(new Error(`unsupported charset "${encoding.toUpperCase()}"`), { status: 415, statusCode: 415, expose: true, type: 'charset.unsupported' });
}

/** body-parser's `verify` hook: the raw bytes' nesting, checked before `JSON.parse` sees them. */
function verifyDepth(_req: IncomingMessage, _res: ServerResponse, raw: Buffer, encoding: string): void {
  if (!encoding || encoding.toLowerCase() === 'utf-8') return assertBodyDepth(raw);
  let text: string;
  try {
    text = new TextDecoder(encoding).decode(raw);
  } catch {
    throw unsupportedCharset(encoding);
  }
  assertBodyDepth(text);
}

/**
 * The body parsers of every Express route (the relay's fast path reads its own body and calls
 * {@link assertBodyDepth} too): JSON and forms (nested `a[b]=c` keys) up to `limit` bytes
 * (`BODY_LIMIT`; 413 past it), nested at most {@link MAX_BODY_DEPTH} levels (400 past it, refused
 * before parsing). Mounted after the request logger, so a refused body still gets its request id
 * and its log line.
 */
export function bodyParsers(limit: string): RequestHandler[] {
  // qs counts the levels below the top key: `a[b][c]=1` is depth 2 there, 3 levels here.
  // (`depth` is body-parser 2's option; its type declarations do not list it yet.)
  const form = { limit, extended: true, depth: MAX_BODY_DEPTH - 1 };
  return [json({ limit, verify: verifyDepth }), urlencoded(form)];
}
