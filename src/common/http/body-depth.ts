/**
 * The deepest nesting a request body may have: JSON arrays and objects inside one another (the
 * outermost counts as 1), and form keys (`a[b][c]=1` is 3 levels). Past it the body is refused
 * with a 400 before it is parsed, so no parser, validator or relay rule ever recurses through it.
 */
export const MAX_BODY_DEPTH = 64;

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * A body nested past {@link MAX_BODY_DEPTH}: HTTP 400. `status`, `type` and `expose` follow
 * body-parser's errors (http-errors), so a refusal from the Nest body parsers and one from the
 * relay's fast path render the same way (see `describeError`).
 */
export class BodyTooDeepError extends Error {
  readonly status = 400;
  readonly statusCode = 400;
  readonly expose = true;
  readonly type = 'entity.too.deep';
  readonly code = 'body_too_deep';

  constructor() {
    super(`request body nested deeper than ${MAX_BODY_DEPTH} levels`);
    this.name = 'BodyTooDeepError';
  }
}

/**
 * Refuses JSON text (UTF-8 bytes, or a decoded string) whose arrays and objects nest deeper than
 * `limit`, in one linear pass that counts `[`/`{` and `]`/`}` outside strings; the text need not be
 * valid JSON (the parser judges that afterwards). A body with no more brackets than `limit` is
 * passed after a native byte search, without the pass.
 * @throws BodyTooDeepError
 */
export function assertBodyDepth(body: Uint8Array | string, limit = MAX_BODY_DEPTH): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (fewBrackets(bytes, limit)) return;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) throw new BodyTooDeepError();
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
}

/** True when `bytes` hold at most `limit` opening brackets in all (so none can nest past it). */
function fewBrackets(bytes: Uint8Array, limit: number): boolean {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (const bracket of [OPEN_ARRAY, OPEN_OBJECT]) {
    for (let at = buffer.indexOf(bracket); at >= 0; at = buffer.indexOf(bracket, at + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}
