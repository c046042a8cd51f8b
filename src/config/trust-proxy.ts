/**
 * Express `trust proxy` value from `TRUST_PROXY`: `false`/`true`, a hop count, or a comma
 * list of addresses/CIDRs/names (`loopback`, `10.0.0.0/8`). Only then does `X-Forwarded-For`
 * count as the client address.
 */
export function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  const v = (value ?? 'false').trim();
  if (v === '' || v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}
