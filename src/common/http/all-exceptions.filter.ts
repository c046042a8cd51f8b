import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { BodyTooDeepError } from './body-depth';
import { CodedHttpException } from './http-error';
import { errorBody, routeFamilyOf, shouldRetry } from './route-family';

interface ExpressBodyError {
  type?: string;
  status?: number;
  statusCode?: number;
  message?: string;
}

/** Status and client-safe message of any thrown value; 500 and a generic text for the unknown. */
export function describeError(exception: unknown): { status: number; message: string; code?: string; known: boolean; headers?: Record<string, string> } {
  const raw = exception instanceof HttpException && exception.cause ? exception.cause : exception;
  if (raw instanceof BodyTooDeepError || (raw as ExpressBodyError | undefined)?.type === 'querystring.parse.rangeError') {
    const tooDeep = new BodyTooDeepError(); // a form nested past the limit: qs's depth error, the same refusal
    return { status: tooDeep.status, message: tooDeep.message, code: tooDeep.code, known: true };
  }
  if (exception instanceof HttpException && exception.cause && typeof exception.cause === 'object') {
    const cause = exception.cause as ExpressBodyError;
    if (cause.type === 'entity.parse.failed') return { status: 400, message: `malformed JSON body: ${cause.message}`, known: true };
    if (cause.type === 'entity.too.large') return { status: 413, message: 'request body too large', known: true };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    let message = exception.message;
    if (typeof response === 'string') message = response;
    else if (response && typeof response === 'object' && 'message' in response) {
      const m = (response as { message: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    if (exception instanceof CodedHttpException) return { status, message, code: exception.code, known: true, headers: exception.headers };
    return { status, message, known: true };
  }
  const body = exception as ExpressBodyError | undefined;
  if (body && typeof body === 'object' && typeof body.type === 'string') {
    if (body.type === 'entity.parse.failed') return { status: 400, message: `malformed JSON body: ${body.message}`, known: true };
    if (body.type === 'entity.too.large') return { status: 413, message: 'request body too large', known: true };
    const status = body.status ?? body.statusCode ?? 400;
    if (status >= 400 && status < 500) return { status, message: body.message ?? 'bad request', known: true };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'internal server error', known: false };
}

/**
 * The one exception filter: renders every error in its route family's envelope with a real
 * HTTP status (see {@link errorBody}); unknown errors are logged with the request id and
 * answered 500 without internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<Request & { id?: string }>();
    const response = ctx.getResponse<Response>();
    const { status, message, code, known, headers } = describeError(exception);
    if (!known) {
      const err = exception as Error;
      this.logger.error({ requestId: request.id, err: { name: err?.name, message: err?.message, stack: err?.stack } }, 'unhandled error');
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    const family = routeFamilyOf(request.path);
    if (family === 'plain' && exception instanceof HttpException && typeof exception.getResponse() === 'object') {
      response.status(status).json(exception.getResponse()); // e.g. terminus' readiness report
      return;
    }
    for (const [name, value] of Object.entries(headers ?? {})) response.setHeader(name, value);
    if (family === 'openai') response.setHeader('x-should-retry', String(shouldRetry(status, code)));
    response.status(status).json(errorBody(family, status, message, code));
  }
}
