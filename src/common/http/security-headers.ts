import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { routeFamilyOf } from './route-family';

/**
 * helmet's headers for every answer (`X-Content-Type-Options: nosniff`, `Referrer-Policy:
 * no-referrer`, `X-Frame-Options: DENY`, HSTS, cross-origin policies...) with a Content-Security-Policy
 * that Swagger UI at `/docs` works under: scripts, styles and fetches from this origin only;
 * inline styles (Swagger UI sets them) and `data:` images. No `upgrade-insecure-requests`, so
 * `/docs` keeps working on a plain-HTTP deployment.
 */
export function securityHeaders(): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  return helmet({
    frameguard: { action: 'deny' }, // as frame-ancestors 'none' below, for browsers without CSP
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
      },
    },
  });
}

/**
 * `Cache-Control: no-store` on every answer of the families that hand out or act on tokens,
 * keys and sessions (`/1/*`, `/api/*`, `/plugin/*`, `/sso/*`; see {@link routeFamilyOf}): user
 * create/init/reset, login, token create and reveal, SSO login and generate, and whatever such
 * route comes next, errors included. RFC 9111 §5.2.2.5.
 */
export function noStoreForAccountRoutes(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const family = routeFamilyOf(req.url ?? '');
  if (family === 'admin-v1' || family === 'new-api' || family === 'sso') res.setHeader('Cache-Control', 'no-store');
  next();
}
