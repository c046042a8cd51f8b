import { ExecutionContext, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessTokenResolver } from './access-token.resolver';
import { AuthGuard, NEW_API_USER_MESSAGES } from './auth.guard';
import { extractBearerToken } from './bearer-token';
import { Principal, Role } from './principal';

const user: Principal = { userId: 7, name: 'u', role: Role.Common, via: 'user_token' };

function context(path: string, headers: Record<string, string>, requirement?: object) {
  const request: Record<string, unknown> = { path, headers };
  const reflector = { getAllAndOverride: () => requirement } as unknown as Reflector;
  const resolver: AccessTokenResolver = { resolve: async (t: string) => (t === 'good' ? user : undefined) };
  const ctx = { getHandler: () => null, getClass: () => null, switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  return { guard: new AuthGuard(reflector, resolver), ctx, request };
}

describe('AuthGuard', () => {
  it('lets public routes through without credentials', async () => {
    const { guard, ctx } = context('/1/users/init', {}, { public: true });
    await expect(guard.canActivate(ctx)).resolves.toBe(true);
  });

  it('treats an undecorated route as authenticated and sets the principal', async () => {
    const { guard, ctx, request } = context('/1/me', { authorization: 'Bearer good' });
    await expect(guard.canActivate(ctx)).resolves.toBe(true);
    expect(request.principal).toBe(user);
    await expect(context('/1/me', {}).guard.canActivate(context('/1/me', {}).ctx)).rejects.toThrow(UnauthorizedException);
  });

  it('refuses unknown tokens with 401 and common users on admin routes with 403', async () => {
    const bad = context('/1/me', { authorization: 'Bearer nope' });
    await expect(bad.guard.canActivate(bad.ctx)).rejects.toThrow(UnauthorizedException);
    const admin = context('/1/users', { authorization: 'good' }, { admin: true });
    await expect(admin.guard.canActivate(admin.ctx)).rejects.toThrow(ForbiddenException);
  });

  it.each([
    [{}, NEW_API_USER_MESSAGES.missing],
    [{ 'new-api-user': 'abc' }, NEW_API_USER_MESSAGES.malformed],
    [{ 'new-api-user': '8' }, NEW_API_USER_MESSAGES.mismatch],
  ])('on a route declared with newApiUserHeader checks New-Api-User %j, whatever the URL says', async (extra, message) => {
    for (const path of ['/api/token/', '/API/token/', '/anything']) {
      const { guard, ctx } = context(path, { authorization: 'Bearer good', ...extra }, { admin: false, newApiUser: true });
      await expect(guard.canActivate(ctx)).rejects.toThrow(message);
    }
  });

  it('accepts a matching New-Api-User where the route asks for it, and ignores it where it does not', async () => {
    const api = context('/api/token/', { authorization: 'Bearer good', 'new-api-user': '7' }, { admin: false, newApiUser: true });
    await expect(api.guard.canActivate(api.ctx)).resolves.toBe(true);
    const v1 = context('/1/me', { authorization: 'Bearer good', 'new-api-user': '99' }, { admin: false });
    await expect(v1.guard.canActivate(v1.ctx)).resolves.toBe(true);
  });
});

describe('extractBearerToken', () => {
  it('reads Bearer, bare and empty headers', () => {
    expect(extractBearerToken('Bearer abc')).toBe('abc');
    expect(extractBearerToken('bearer   abc ')).toBe('abc');
    expect(extractBearerToken('abc')).toBe('abc');
    expect(extractBearerToken('Bearer ')).toBeUndefined();
    expect(extractBearerToken(undefined)).toBeUndefined();
  });
});
