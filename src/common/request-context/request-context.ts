import type { ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { ClsModuleOptions, ClsService, ClsStore } from 'nestjs-cls';
import type { Principal } from '../auth/principal';

/**
 * What a service may know about the request it runs in without threading it through every call (nestjs-cls,
 * one AsyncLocalStorage context per request): the request id the logger gave it (`X-Request-Id`, see
 * buildLoggerOptions), the client address as Express resolves it under `TRUST_PROXY`, and the principal the
 * global AuthGuard resolved (absent on public routes).
 */
export interface RequestContext extends ClsStore {
  requestId: string;
  ip: string;
  principal?: Principal;
}

/** The request context of a store, or undefined outside a request (a timer, a test calling a service). */
export function currentRequestContext(cls: ClsService<RequestContext>): RequestContext | undefined {
  return cls.isActive() && cls.has('requestId') ? { requestId: cls.get('requestId'), ip: cls.get('ip'), principal: cls.get('principal') } : undefined;
}

/**
 * nestjs-cls options: a global module whose interceptor opens each route's context after the guards ran (so
 * the principal is known) and copies the request id, address and principal from the Express request. An
 * interceptor rather than a middleware: Express body parsers resume a request from stream events, which
 * lose an AsyncLocalStorage context opened before them.
 */
export function requestContextOptions(): ClsModuleOptions {
  return {
    global: true,
    interceptor: {
      mount: true,
      setup: (store: ClsService, context: ExecutionContext) => {
        const cls = store as unknown as ClsService<RequestContext>;
        if (context.getType() !== 'http') return;
        const request = context.switchToHttp().getRequest<Request & { id?: unknown; principal?: Principal }>();
        cls.set('requestId', typeof request.id === 'string' ? request.id : String(request.id ?? ''));
        cls.set('ip', request.ip ?? request.socket?.remoteAddress ?? '');
        if (request.principal) cls.set('principal', request.principal);
      },
    },
  };
}
