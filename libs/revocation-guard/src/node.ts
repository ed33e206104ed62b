// @tokenfence/revocation-guard/node: the guard without NestJS (no @nestjs import anywhere below
// this entry), for plain node:http; /express and /fastify add their adapters to it.
export {
  createRevocationGuard,
  type NodeRevocationGuard,
  type RevocationGuardOptions,
} from './node/create-revocation-guard.js';
export { principalOf } from './node/principal-of.js';
export {
  httpRefusal,
  PROBLEM_JSON,
  type GuardErrorBody,
  type GuardProblemDetails,
  type HttpRefusal,
} from './core/http-refusal.js';
export {
  GuardMetrics,
  PROMETHEUS_CONTENT_TYPE,
  type GuardMetricsOptions,
  type MetricsRegistry,
} from './core/guard-metrics.js';
export { GuardError, type GuardErrorCode } from './core/guard-error.js';
export type { Principal, PrincipalKind } from './core/principal.js';
export type { RouteRules, RouteRequirements } from './core/route-requirements.js';
export type { ReadinessReport, RevocationState } from './core/revocation-state.js';
export type { FreshnessRequirement, StalePolicy } from './core/stale-policy.js';
export type { GuardLogger } from './core/logger.js';
export type { RevocationEventSource } from './core/event-source.js';
