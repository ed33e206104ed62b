// @tokenfence/revocation-guard/fastify: the guard as a Fastify hook, without NestJS. Fastify
// itself is not a dependency: the hook and plugin are typed by the parts of Fastify they use.
export * from './node.js';
export {
  fastifyGuard,
  fastifyGuardPlugin,
  type FastifyGuardHook,
  type FastifyGuardPlugin,
  type FastifyLikeInstance,
  type FastifyLikeReply,
  type FastifyLikeRequest,
} from './node/fastify-guard.js';
