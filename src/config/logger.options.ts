import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { logDestination, type LogFormat } from '../common/logging/log-destination';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The URL with every query value replaced by `[REDACTED]` (token parameters must never reach a log). */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const keys = url
    .slice(q + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0]}=[REDACTED]`);
  return `${url.slice(0, q)}?${keys.join('&')}`;
}

/**
 * nestjs-pino options: one line per request (JSON, or pino-pretty's for `format: 'pretty'`, see
 * log-destination.ts), with a request id (the caller's
 * `X-Request-Id` when well-formed, else a UUID; echoed as a response header). Request
 * headers are not logged at all and query values are redacted, so no token, key or JWT
 * reaches a log line.
 */
export function buildLoggerOptions(level: string, format: LogFormat = 'json'): Params {
  return {
    pinoHttp: [
      {
        level,
        genReqId: (req: IncomingMessage, res: ServerResponse) => {
          const given = req.headers['x-request-id'];
          const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
          res.setHeader('X-Request-Id', id);
          return id;
        },
        customProps: (req: IncomingMessage) => {
          const principal = (req as IncomingMessage & { principal?: { userId: number } }).principal;
          return principal ? { userId: principal.userId } : {};
        },
        serializers: {
          req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
            id: req.id,
            method: req.method,
            url: redactUrl(req.url),
            remoteAddress: req.remoteAddress,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        redact: {
          paths: ['req.headers', 'res.headers', '*.authorization', '*.token', '*.key', '*.secret', '*.password'],
          censor: '[REDACTED]',
        },
      },
      logDestination(format), // through process.stdout rather than pino's own fd writer, so a test can capture every line
    ],
  };
}
