/**
 * Where every log line goes: process.stdout (looked up at each write, so a test can capture
 * it), with the lines of one event-loop turn joined into one write. Under load that is one
 * syscall for many request lines instead of one each; a line waits at most until the current
 * turn ends, and whatever is pending is written synchronously when the process exits.
 */
export class StdoutLines {
  private pending: string[] = [];
  private scheduled = false;

  constructor() {
    process.once('exit', () => this.flush());
  }

  /** Queues one line (pino's destination interface). */
  write(line: string): void {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes everything queued, now. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    process.stdout.write(text);
  }
}

/** The process's one log destination, shared by the framework's logger and the relay's fast path. */
export const stdoutLines = new StdoutLines();
