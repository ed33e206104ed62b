import type { Principal } from '../core/principal.js';

/**
 * The principal the guard put on `req.user` (Express) or `request.user` (Fastify), typed, without
 * declaring `user` on the framework's request type (which Passport or @fastify/jwt may declare
 * otherwise). A TypeError on a request the guard did not pass.
 */
export function principalOf(request: object): Principal {
  const user = (request as { user?: unknown }).user;
  if (user === undefined || user === null) {
    throw new TypeError('no principal on this request: is the route behind the revocation guard?');
  }
  return user as Principal;
}
