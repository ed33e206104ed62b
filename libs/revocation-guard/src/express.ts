// @tokenfence/revocation-guard/express: the guard as Express middleware, without NestJS. Express
// itself is not a dependency: the middleware uses only what Node's request and response offer.
export * from './node.js';
export {
  expressGuard,
  type ExpressGuardMiddleware,
  type ExpressLikeRequest,
  type ExpressLikeResponse,
  type ExpressNext,
} from './node/express-guard.js';
