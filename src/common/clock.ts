import { Injectable } from '@nestjs/common';

/**
 * The time that scheduled rules (periodic quota resets) read: unix milliseconds. One provider, so
 * a test can run them against a clock of its own.
 */
@Injectable()
export class Clock {
  /** Now, in unix milliseconds. */
  now(): number {
    return Date.now();
  }
}
