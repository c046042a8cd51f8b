import { HttpException } from '@nestjs/common';

/**
 * An HTTP error with a machine-readable `code` (e.g. `insufficient_quota`, `model_not_allowed`)
 * that the OpenAI-shaped family puts in `error.code`; other families show only the message.
 */
export class CodedHttpException extends HttpException {
  /** Answer headers that go with it (a rate limit's `retry-after` and `x-ratelimit-*`). */
  headers?: Record<string, string>;

  constructor(
    status: number,
    message: string,
    readonly code: string,
  ) {
    super(message, status);
  }
}
