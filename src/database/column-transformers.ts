import type { ValueTransformer } from 'typeorm';

/** BIGINT columns come back from drivers as strings; quota fits a JS number exactly (< 2^53). */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};

/** DECIMAL columns come back as strings on MySQL and numbers on SQLite; kept as strings. */
export const decimalString: ValueTransformer = {
  to: (value: string | number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : String(value)),
};
