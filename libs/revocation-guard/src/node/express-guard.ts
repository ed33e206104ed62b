import type { Principal } from '../core/principal.js';
import type { RouteRules } from '../core/route-requirements.js';
import { isGuardRefusal, type NodeRevocationGuard } from './create-revocation-guard.js';

/** The parts of an Express (4 or 5) request the middleware uses; no Express import. */
export interface ExpressLikeRequest {
  readonly headers: { readonly authorization?: string | undefined };
  user?: Principal;
}

/** The parts of the response it uses: those of Node's `http.ServerResponse`. */
export interface ExpressLikeResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

export type ExpressNext = (err?: unknown) => void;

/** An Express middleware, `(req, res, next)`. */
export type ExpressGuardMiddleware = (
  req: ExpressLikeRequest,
  res: ExpressLikeResponse,
  next: ExpressNext,
) => void;

/**
 * Express middleware for one route (or a router, or the whole app): a valid, unrevoked access
 * token meeting `rules`, or the guard's refusal: 401 with a Bearer challenge, 403
 * `INSUFFICIENT_SCOPE` naming the scopes, 503 with `Retry-After`; body `{statusCode, code,
 * message, error}`. The principal goes on `req.user`. Other errors go to `next(err)`.
 *
 * @example app.get('/orders', expressGuard(guard, { scopes: ['orders:read'] }), listOrders);
 */
export function expressGuard(
  guard: NodeRevocationGuard,
  rules: RouteRules = {},
): ExpressGuardMiddleware {
  return (req, res, next) => {
    guard.authorize(req.headers.authorization, rules).then(
      (principal) => {
        req.user = principal;
        next();
      },
      (err: unknown) => {
        if (!isGuardRefusal(err)) return next(err);
        const refusal = guard.refusal(err);
        res.statusCode = refusal.status;
        for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
        res.end(JSON.stringify(refusal.body));
      },
    );
  };
}
