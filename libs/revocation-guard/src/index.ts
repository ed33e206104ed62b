// Public API of @tokenfence/revocation-guard. Anything not exported here is internal.
export { RevocationGuardModule } from './nest/revocation-guard.module.js';
export {
  REVOCATION_GUARD_OPTIONS,
  type RevocationGuardModuleExtras,
} from './nest/revocation-guard.module-definition.js';
export type {
  KafkaSourceOptions,
  MicroservicesOptions,
  RevocationEventsSourceOptions,
  RevocationGuardModuleOptions,
  RpcContextInfo,
  RpcTransportName,
  TokenIssuerOptions,
} from './nest/revocation-guard.options.js';
export {
  bearerTokenOf,
  defaultRpcTokenExtractor,
  RpcEventRefusedException,
} from './nest/rpc-transport.js';
export { RevocationGuard } from './nest/revocation.guard.js';
export { Public, IS_PUBLIC_KEY } from './nest/public.decorator.js';
export {
  RevocationReadiness,
  type ReadinessReport,
  type RevocationState,
} from './nest/revocation-readiness.js';
export {
  RevocationSocketAuth,
  SOCKET_REVOKED_EVENT,
  type AuthenticatedSocket,
  type SocketServer,
} from './nest/revocation-socket-auth.js';
export { LiveConnections, type LiveConnection } from './core/live-connections.js';
export {
  RequireFreshness,
  RequireRecentLogin,
  RequireScopes,
} from './nest/route-requirements.decorators.js';
export {
  checkRequirements,
  type RouteRequirements,
  type RouteRules,
} from './core/route-requirements.js';
export { RevocationMetrics } from './nest/revocation-metrics.js';
export type { GuardMetricsOptions, MetricsRegistry } from './core/guard-metrics.js';
export { CurrentPrincipal } from './nest/current-principal.decorator.js';
export {
  GuardForbiddenException,
  GuardGraphQLException,
  GuardUnauthorizedException,
  GuardUnavailableException,
  PROBLEM_JSON,
  type GuardErrorBody,
  type GuardGraphQLExtensions,
  type GuardHttpException,
  type GuardProblemDetails,
} from './nest/guard-http-exception.js';

export { AccessTokenAuthenticator } from './core/access-token-authenticator.js';
export { TokenVerifier, SUPPORTED_ALGORITHMS } from './core/token-verifier.js';
export type {
  MultiIssuerTokenVerifierOptions,
  RevocationCheck,
  SupportedAlgorithm,
  TokenClaimNames,
  ClientIdClaim,
  TokenIssuerVerification,
  TokenKeyLookup,
  TokenProfile,
  TokenVerifierOptions,
  VerifyOptions,
} from './core/token-verifier.js';
export {
  RevocationFeed,
  type FeedIssuers,
  type FeedStats,
  type RevocationFeedOptions,
} from './core/revocation-feed.js';
export {
  EventVerifier,
  EventKeysUnavailable,
  type EventKeySource,
  type EventVerifierOptions,
  type VerifiedEvent,
} from './core/event-verifier.js';
export {
  JwksKeySource,
  type JwksKeySourceOptions,
  type KeySetChange,
  type KeySetHealth,
  type KeySetListener,
} from './core/jwks-key-source.js';
export type { FreshnessRequirement, StalePolicy } from './core/stale-policy.js';
export {
  IntrospectionClient,
  IntrospectionUnavailable,
  type IntrospectionOptions,
} from './core/introspection-client.js';
export { Denylist, type DenylistSize, type RevocableClaims } from './core/denylist.js';
export {
  GUARD_ERROR_STATUS,
  GuardError,
  isTokenErrorCode,
  TOKEN_ERROR_CODES,
  type GuardErrorCode,
  type TokenErrorCode,
} from './core/guard-error.js';
export type { Principal, PrincipalKind } from './core/principal.js';
export type { Clock } from './core/clock.js';
export type { GuardLogger } from './core/logger.js';
export type {
  EventPosition,
  EventSink,
  RevocationEventSource,
  TraceHeaders,
} from './core/event-source.js';
export type { FeedTracing, MessageOutcome } from './core/feed-tracing.js';
export { KafkaEventSource, type KafkaEventSourceOptions } from './kafka/kafka-event-source.js';
