import { StringDecoder } from 'node:string_decoder';

/**
 * Drops the usage-only SSE event (`data: {"choices":[],"usage":{...}}`) from a stream, for clients
 * that did not ask for `stream_options.include_usage` when the relay asked the upstream for it
 * (to meter exactly). Events pass through as soon as they are complete; only a partial event is
 * held back until its end (`\n\n`) arrives.
 */
export class UsageChunkFilter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** The text to forward for `chunk` (may be empty while an event is incomplete). */
  push(chunk: Buffer): string {
    this.pending += this.decoder.write(chunk);
    const end = this.pending.lastIndexOf('\n\n');
    if (end < 0) return '';
    const complete = this.pending.slice(0, end + 2);
    this.pending = this.pending.slice(end + 2);
    return complete
      .split(/(?<=\n\n)/)
      .filter((event) => !isUsageOnly(event))
      .join('');
  }

  /** Whatever is left at the end of the stream. */
  flush(): string {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return isUsageOnly(rest) ? '' : rest;
  }
}

function isUsageOnly(event: string): boolean {
  const data = event.trim();
  if (!data.startsWith('data:') || !data.includes('"usage"')) return false;
  try {
    const parsed = JSON.parse(data.slice(5).trim()) as { choices?: unknown; usage?: unknown };
    return Array.isArray(parsed.choices) && parsed.choices.length === 0 && !!parsed.usage;
  } catch {
    return false;
  }
}
