import { prettyFactory } from 'pino-pretty';
import { stdoutLines } from './stdout-lines';

/** `json`: one JSON object per line (for collectors); `pretty`: pino-pretty's readable lines (for a terminal). */
export type LogFormat = 'json' | 'pretty';

/** The settings that choose the format (`LOG_FORMAT`, `NODE_ENV`). */
export interface LogFormatSettings {
  LOG_FORMAT?: LogFormat;
  NODE_ENV: string;
}

/**
 * `LOG_FORMAT` when set; otherwise `pretty` when stdout is a terminal and `NODE_ENV` is
 * `development` (someone is reading it), `json` in every other case (a pipe, a file, a container
 * log driver, production, tests).
 */
export function chooseLogFormat(settings: LogFormatSettings, stdoutIsTty: boolean = process.stdout.isTTY === true): LogFormat {
  if (settings.LOG_FORMAT) return settings.LOG_FORMAT;
  return stdoutIsTty && settings.NODE_ENV === 'development' ? 'pretty' : 'json';
}

/** pino-pretty's options: local time, level, `[context]`, a request as `METHOD url status time`, then other fields below. */
const PRETTY_OPTIONS = {
  colorize: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,context,req,res,responseTime',
  messageFormat: '{if context}[{context}] {end}{if req.method}{req.method} {req.url} {res.statusCode} {responseTime} ms – {end}{msg}',
};

/**
 * The pino destination of every logger of the process (Nest's through nestjs-pino, the relay's
 * fast path): JSON lines as pino writes them, or each line rendered by pino-pretty; either way
 * through {@link stdoutLines}. Redaction happens in pino, before either.
 */
export function logDestination(format: LogFormat): { write(line: string): void } {
  if (format === 'json') return stdoutLines;
  const prettify = prettyFactory({ ...PRETTY_OPTIONS, colorize: process.stdout.hasColors?.() ?? false });
  return { write: (line: string) => stdoutLines.write(prettify(line)) };
}
