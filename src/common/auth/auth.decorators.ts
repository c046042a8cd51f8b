import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { extractBearerToken } from './bearer-token';
import type { Principal } from './principal';

export const AUTH_METADATA = 'tollgate:auth';
/** OpenAPI security scheme of a user access token or session token (`Authorization: Bearer <token>`). */
export const BEARER_SCHEME = 'bearer';
/** OpenAPI security scheme of an API token (`Authorization: Bearer sk-…`): the relay and `GET /api/usage/token`. */
export const API_TOKEN_SCHEME = 'apiToken';
/** OpenAPI security scheme of seed 000's `New-Api-User` header (the caller's user id), sent with the bearer on `/api/`. */
export const NEW_API_USER_SCHEME = 'newApiUser';
/** OpenAPI security scheme of an SSO app's JWT sent as `Authorization: Bearer <jwt>` (`POST /sso/{name}`). */
export const SSO_JWT_SCHEME = 'ssoJwt';

/** What a route needs; read by the global AuthGuard. */
export interface AuthRequirement {
  public?: boolean;
  admin?: boolean;
  /** The `New-Api-User` header must equal the caller's user id (seed 000). */
  newApiUser?: boolean;
  /** Reachable by a password-change-only session (opened with a first password). */
  passwordChange?: boolean;
}

/** The route needs no credentials (the relay's own token check, health, init). */
export const Public = () => SetMetadata(AUTH_METADATA, { public: true } satisfies AuthRequirement);

/**
 * The route needs a valid user access token (`Authorization: Bearer <token>` or the bare token);
 * with `{ admin: true }` also role admin (10) or root (100). 401 when missing/unknown, 403 when not admin.
 * With `{ newApiUserHeader: true }` (every new-api route under `/api/`) the `New-Api-User` header must
 * equal the caller's id (seed 000), else 401. The guard reads this from the route, never from the URL.
 * A session opened with a first password gets 403 except on routes with `{ passwordChange: true }`.
 * In OpenAPI: the `bearer` security scheme (with `newApiUser` beside it on `/api/`), and the 401 and 403.
 */
export function Authenticated(options: { admin?: boolean; newApiUserHeader?: boolean; passwordChange?: boolean } = {}) {
  const forbidden = [
    options.admin ? 'the caller is not an admin' : undefined,
    options.passwordChange ? undefined : 'password change required: a session opened with a first password may only call PUT /1/me/password',
  ].filter((reason) => reason !== undefined);
  const decorators = [
    SetMetadata(AUTH_METADATA, { admin: !!options.admin, newApiUser: !!options.newApiUserHeader, passwordChange: !!options.passwordChange } satisfies AuthRequirement),
    options.newApiUserHeader ? ApiSecurity({ [BEARER_SCHEME]: [], [NEW_API_USER_SCHEME]: [] }) : ApiBearerAuth(BEARER_SCHEME),
    ApiUnauthorizedResponse({
      description: options.newApiUserHeader
        ? "missing, unknown or revoked access token, or New-Api-User missing or not the caller's user id"
        : 'missing, unknown or revoked access token',
    }),
  ];
  if (forbidden.length > 0) decorators.push(ApiForbiddenResponse({ description: forbidden.join('; or ') }));
  return applyDecorators(...decorators);
}

/**
 * The route takes an API token (`sk-…` as `Authorization: Bearer`; the relay also reads `x-api-key`) and checks it
 * itself (the relay, `GET /api/usage/token`): `@Public()` for the global guard, and the `apiToken`
 * security scheme in OpenAPI.
 */
export function ApiTokenAuthenticated() {
  return applyDecorators(Public(), ApiSecurity(API_TOKEN_SCHEME));
}

/** The authenticated {@link Principal}; only on routes that are not `@Public()`. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest().principal;
});

/**
 * The credential of the request's `Authorization` header (`Bearer <credential>` or the bare
 * credential, see {@link extractBearerToken}); undefined when absent. For routes that check a
 * credential themselves; OpenAPI documents it through the route's security scheme, not as a parameter.
 */
export const BearerCredential = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  return extractBearerToken(ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers.authorization);
});
