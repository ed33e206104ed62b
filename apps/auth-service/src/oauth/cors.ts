import type { NextFunction, Request, Response } from 'express';
import type { AuthConfig } from '../config/auth-config.js';
import type { AuthenticatedClient } from './client-authenticator.js';
import { oauthEndpoints } from './oauth-endpoints.js';
import { oauthError } from './oauth-error.js';

/**
 * CORS for the token and revocation endpoints: the origins public clients list in
 * `allowed_origins`, none by default. A preflight from another origin is 403
 * `ORIGIN_NOT_ALLOWED`; a request from an allowed one gets `Access-Control-Allow-Origin`
 * naming it (never `*`, never credentials: a public client sends no cookie and no secret).
 * Which client may call from which origin is checked once the request names its client
 * ({@link refuseForeignOrigin}).
 */
export function oauthCors(config: Pick<AuthConfig, 'clients' | 'mode'>) {
  // The endpoints a browser app (a public client) calls from its own origin, where served.
  const { token, revocation } = oauthEndpoints(config);
  const corsPaths = new Set([token?.path, revocation?.path].filter((p) => p !== undefined));
  const origins = new Set(config.clients.flatMap((c) => c.allowedOrigins));
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!corsPaths.has(req.path.toLowerCase().replace(/\/+$/, ''))) return next();
    const origin = req.headers.origin;
    res.vary('Origin');
    if (req.method === 'OPTIONS') {
      if (origin === undefined || !origins.has(origin)) {
        const message = 'This origin may not call this endpoint.';
        res.status(403).json({
          error: 'invalid_request',
          error_description: message,
          code: 'ORIGIN_NOT_ALLOWED',
          message,
        });
        return;
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Methods', 'POST');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    if (origin !== undefined && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
    }
    next();
  };
}

/**
 * A browser's cross-origin request names its origin: it must be one the client it authenticated
 * as lists (400 invalid_request, code `ORIGIN_NOT_ALLOWED`, otherwise), so one client's origin cannot spend another's tokens.
 * Requests without `Origin` (servers, native apps) and from the issuer's own origin pass.
 */
export function refuseForeignOrigin(
  req: Request,
  client: AuthenticatedClient | undefined,
  issuer: string,
): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin === new URL(issuer).origin) return;
  if (client?.allowedOrigins.includes(origin)) return;
  throw oauthError(
    400,
    'invalid_request',
    'This client may not be used from this origin.',
    'ORIGIN_NOT_ALLOWED',
  );
}
