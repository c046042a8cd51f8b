const OFFSET = /^(?:Z|UTC|([+-])(\d{2})(?::?(\d{2}))?)$/i;

/**
 * A UTC offset as minutes east of UTC: `Z`/`UTC` → 0, `+08:00`, `+0800` or `+08` → 480,
 * `-05:30` → -330, within ±14:00 (ISO 8601's offsets). Undefined when `text` is not one.
 */
export function utcOffsetMinutes(text: string): number | undefined {
  const m = OFFSET.exec(text.trim());
  if (!m) return undefined;
  const minutes = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
  return Math.abs(minutes) > 14 * 60 || Number(m[3] ?? 0) > 59 ? undefined : minutes;
}

/** Minutes east of UTC as `+08:00` / `-05:30` / `+00:00`. */
export function formatUtcOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
