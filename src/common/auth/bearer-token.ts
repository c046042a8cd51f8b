/**
 * The credential of an `Authorization` header: `Bearer <token>` or the bare token
 * (new-api's clients send both). Undefined when absent or empty.
 */
export function extractBearerToken(header: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) return undefined;
  const trimmed = raw.trim();
  const token = /^bearer(\s+|$)/i.test(trimmed) ? trimmed.replace(/^bearer/i, '').trim() : trimmed;
  return token.length > 0 ? token : undefined;
}
