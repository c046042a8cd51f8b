/**
 * Captures everything written to process.stdout (where the pino logger writes) until `stop()`.
 * `text()` returns it; lines are also still printed when TEST_LOG_ECHO=1.
 */
export function captureStdout(): { text(): string; stop(): void } {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    if (process.env.TEST_LOG_ECHO === '1') return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    text: () => chunks.join(''),
    stop: () => {
      process.stdout.write = original;
    },
  };
}
