/** The wire families, each with its seed's error body. */
export type RouteFamily = 'new-api' | 'admin-v1' | 'sso' | 'openai' | 'plain';

/**
 * Which family a request path belongs to: `/api/*`, `/1/*`, `/plugin/*` + `/sso/*`, `/v1/*`, or
 * other. Case-insensitive, as Express routes are.
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
