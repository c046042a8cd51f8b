/** Where a {@link PeriodicTask} reports a failed timer run. */
export interface PeriodicTaskLogger {
  error(message: string): void;
}

/**
 * A background task (a purge, a sweep) run every `intervalMs` on an unref'd timer, so it never keeps
 * the process alive. A run asked for while one is going joins it instead of starting a second. A timer
 * run that fails is logged with `what` and tried again at the next tick: no background failure ends
 * the process.
 */
export class PeriodicTask<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;

  constructor(
    private readonly what: string,
    private readonly logger: PeriodicTaskLogger,
  ) {}

  /** Calls `run` every `intervalMs` milliseconds from now on (replacing an earlier timer). */
  start(intervalMs: number, run: () => Promise<T>): void {
    this.stop();
    this.timer = setInterval(() => {
      this.runOnce(run).catch((error: unknown) => this.logger.error(`${this.what} failed: ${error instanceof Error ? error.message : String(error)}`));
    }, intervalMs);
    this.timer.unref();
  }

  /** Clears the timer; a run already going finishes. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs `run` now, or joins the run already going. @returns what the run returns; rejects as it does. */
  runOnce(run: () => Promise<T>): Promise<T> {
    this.running ??= run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
