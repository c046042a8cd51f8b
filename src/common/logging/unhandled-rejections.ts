import type { LoggerService } from '@nestjs/common';

/**
 * Makes a promise rejection that nothing handled a logged error (`unhandled promise rejection`,
 * with the error's name, message and stack) instead of the end of the process, which is Node's
 * default. Background tasks catch and log their own errors; this is the net under them. Installed
 * once, by `main.ts`, with the app's logger. Uncaught exceptions stay fatal.
 */
export function logUnhandledRejections(logger: LoggerService): void {
  process.on('unhandledRejection', (reason: unknown) => {
    const err = reason instanceof Error ? { name: reason.name, message: reason.message, stack: reason.stack } : { message: String(reason) };
    logger.error({ err }, 'unhandled promise rejection');
  });
}
