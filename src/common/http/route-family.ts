/** The wire families, each with its seed's error body. */
export type RouteFamily = 'new-api' | 'admin-v1' | 'sso' | 'openai' | 'plain';

/**
 * Which family a request path belongs to: `/api/*`, `/1/*`, `/plugin/*` + `/sso/*`, `/v1/*`, or other.
 * Case-insensitive, as Express matches routes. Only picks the error body's shape: no access or
 * limit decision may rest on it (the auth guard reads the route's metadata instead).
 */
export function routeFamilyOf(requestPath: string): RouteFamily {
  const path = requestPath.toLowerCase();
  if (path.startsWith('/api/')) return 'new-api';
  if (path.startsWith('/1/')) return 'admin-v1';
  if (path.startsWith('/plugin/') || path.startsWith('/sso/')) return 'sso';
  if (path.startsWith('/v1/')) return 'openai';
  return 'plain';
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

/**
 * The error body of a family:
 * new-api `{success:false, message}`, seed 003 `{message}`, seed 004 `{success:false, msg, code}`,
 * OpenAI `{error:{message, type, code}}`.
 */
export function errorBody(family: RouteFamily, status: number, message: string, code?: string): object {
  switch (family) {
    case 'new-api':
      return { success: false, message };
    case 'sso':
      return { success: false, msg: message, code: String(status) };
    case 'openai':
      return {
        error: {
          message,
          type: OPENAI_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'),
          code: code ?? null,
        },
      };
    default:
      return { message };
  }
}

/**
 * Whether a client may succeed by sending the same request again (OpenAI's `x-should-retry`
 * answer header, which its SDKs obey): not after a refusal of the request itself (400, 401, 403,
 * 404, 413, 422) nor after `insufficient_quota` (429 until the quota is topped up); yes after a
 * rate limit, a timeout or a server-side failure.
 */
export function shouldRetry(status: number, code?: string | null): boolean {
  if (status === 429) return code !== 'insufficient_quota';
  return status === 408 || status === 409 || status >= 500;
}
