import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiHeader, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Principal } from './principal';

export const AUTH_METADATA = 'tollgate:auth';
export const BEARER_SCHEME = 'bearer';

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
 */
export function Authenticated(options: { admin?: boolean; newApiUserHeader?: boolean; passwordChange?: boolean } = {}) {
  const decorators = [
    SetMetadata(AUTH_METADATA, { admin: !!options.admin, newApiUser: !!options.newApiUserHeader, passwordChange: !!options.passwordChange } satisfies AuthRequirement),
    ApiBearerAuth(BEARER_SCHEME),
    ApiUnauthorizedResponse({ description: 'missing, unknown or revoked access token' }),
  ];
  if (options.admin) decorators.push(ApiForbiddenResponse({ description: 'the caller is not an admin' }));
  if (options.newApiUserHeader) {
    decorators.push(ApiHeader({ name: 'New-Api-User', required: true, description: "the caller's user id (seed 000)", example: '1' }));
  }
  return applyDecorators(...decorators);
}

/** The authenticated {@link Principal}; only on routes that are not `@Public()`. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest().principal;
});
