import type { Principal } from '../core/principal.js';
import type { RouteRules } from '../core/route-requirements.js';
import { isGuardRefusal, type NodeRevocationGuard } from './create-revocation-guard.js';

/** The parts of a Fastify 5 request the hook uses; no Fastify import. */
export interface FastifyLikeRequest {
  readonly headers: { readonly authorization?: string | undefined };
  user?: Principal | null;
}

/** The parts of a Fastify reply the hook uses. */
export interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  header(name: string, value: string): FastifyLikeReply;
  send(payload: string): FastifyLikeReply;
}

/** The parts of a Fastify instance the plugin uses. */
export interface FastifyLikeInstance {
  decorateRequest(name: string, value: null): unknown;
  hasRequestDecorator(name: string): boolean;
}

/** A Fastify `onRequest` or `preHandler` hook. */
export type FastifyGuardHook = (
  request: FastifyLikeRequest,
  reply: FastifyLikeReply,
) => Promise<FastifyLikeReply | undefined>;

/** A Fastify plugin that skips encapsulation (as `fastify-plugin` makes one). */
export type FastifyGuardPlugin = ((instance: FastifyLikeInstance) => Promise<void>) & {
  readonly [key: symbol]: unknown;
};

/**
 * A Fastify `onRequest` (or `preHandler`) hook for one route, a scope, or the whole app: a valid,
 * unrevoked access token meeting `rules`, or the guard's refusal: 401 with a Bearer challenge,
 * 403 `INSUFFICIENT_SCOPE` naming the scopes, 503 with `Retry-After`; body `{statusCode, code,
 * message, error}`. The principal goes on `request.user` (register {@link fastifyGuardPlugin}
 * first, which decorates it). Other errors reach Fastify's error handler.
 *
 * @example app.get('/orders', { onRequest: fastifyGuard(guard, { scopes: ['orders:read'] }) }, h);
 */
export function fastifyGuard(guard: NodeRevocationGuard, rules: RouteRules = {}): FastifyGuardHook {
  return async (request, reply) => {
    try {
      request.user = await guard.authorize(request.headers.authorization, rules);
      return undefined;
    } catch (err) {
      if (!isGuardRefusal(err)) throw err;
      const refusal = guard.refusal(err);
      reply.code(refusal.status);
      for (const [name, value] of Object.entries(refusal.headers)) reply.header(name, value);
      return reply.send(JSON.stringify(refusal.body));
    }
  };
}

/**
 * Decorates `request.user` (null until the hook sets it), as Fastify wants request properties
 * declared up front. Not encapsulated: register it once, on the root instance.
 *
 * @example await app.register(fastifyGuardPlugin);
 */
export const fastifyGuardPlugin: FastifyGuardPlugin = Object.assign(
  (instance: FastifyLikeInstance): Promise<void> => {
    if (!instance.hasRequestDecorator('user')) instance.decorateRequest('user', null);
    return Promise.resolve();
  },
  {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@tokenfence/revocation-guard',
  },
);
