import type { ValueTransformer } from 'typeorm';

/**
 * A JSON value kept in a TEXT column (portable across SQLite and MySQL): serialized on write,
 * parsed on read; NULL or unparsable text reads as `fallback`.
 */
export function jsonText<T>(fallback: () => T): ValueTransformer {
  return {
    to: (value: T | null | undefined) => (value === undefined ? undefined : JSON.stringify(value ?? fallback())),
    from: (value: string | null) => {
      if (value === null || value === undefined || value === '') return fallback();
      try {
        return JSON.parse(value) as T;
      } catch {
        return fallback();
      }
    },
  };
}
