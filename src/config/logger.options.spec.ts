import { redactUrl } from './logger.options';
import { parseTrustProxy } from './trust-proxy';

describe('redactUrl', () => {
  it('keeps the path and query keys, hides every query value', () => {
    expect(redactUrl('/sso/erp?token=eyJhbGciOi.x.y&next=/home')).toBe('/sso/erp?token=[REDACTED]&next=[REDACTED]');
    expect(redactUrl('/1/me')).toBe('/1/me');
  });
});

describe('parseTrustProxy', () => {
  it('maps TRUST_PROXY to express trust proxy values', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
  });
});
