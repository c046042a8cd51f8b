import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AccessTokenResolver } from './access-token.resolver';
import { AUTH_METADATA, AuthRequirement } from './auth.decorators';
import { extractBearerToken } from './bearer-token';
import { isAdmin, Principal } from './principal';

/** new-api's `New-Api-User` refusals, in English (seed 000 marks the header required). */
export const NEW_API_USER_MESSAGES = {
  missing: 'no permission to perform this operation: New-Api-User header not provided',
  malformed: 'no permission to perform this operation: New-Api-User header is malformed',
  mismatch: 'no permission to perform this operation: New-Api-User does not match the logged-in user',
} as const;

/** The refusal of every route but `PUT /1/me/password` to a session opened with a first password. */
export const PASSWORD_CHANGE_REQUIRED =
  'password change required: this session may only change the password (PUT /1/me/password {"old_password","password"}); then log in with the new one';

/**
 * The one global guard. Reads `@Public()` / `@Authenticated()` metadata (a route without
 * either is treated as `@Authenticated()`), resolves the bearer credential to a
 * {@link Principal} and puts it on `request.principal`. Which checks apply comes from the matched
 * route's metadata only, never from the request URL (Express matches paths case-insensitively).
 * @throws UnauthorizedException (401) missing/unknown credential, or a bad `New-Api-User` on a route
 *   declared with `@Authenticated({ newApiUserHeader: true })`
 * @throws ForbiddenException (403) an admin route called by a common user
 * @throws ForbiddenException (403) also on any route but the password change for a session opened with a
 *   first password ({@link PASSWORD_CHANGE_REQUIRED})
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: AccessTokenResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]) ?? { admin: false };
    if (requirement.public) return true;

    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const token = extractBearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedException('missing access token: send Authorization: Bearer <token>');
    const principal = await this.resolver.resolve(token);
    if (!principal) throw new UnauthorizedException('invalid or revoked access token');
    if (principal.passwordChangeOnly && !requirement.passwordChange) throw new ForbiddenException(PASSWORD_CHANGE_REQUIRED);

    if (requirement.newApiUser) this.checkNewApiUser(request.headers['new-api-user'], principal);
    if (requirement.admin && !isAdmin(principal)) throw new ForbiddenException('admin role required');
    request.principal = principal;
    return true;
  }

  private checkNewApiUser(header: string | string[] | undefined, principal: Principal): void {
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || value.trim() === '') throw new UnauthorizedException(NEW_API_USER_MESSAGES.missing);
    if (!/^\d+$/.test(value.trim())) throw new UnauthorizedException(NEW_API_USER_MESSAGES.malformed);
    if (Number(value.trim()) !== principal.userId) throw new UnauthorizedException(NEW_API_USER_MESSAGES.mismatch);
  }
}
