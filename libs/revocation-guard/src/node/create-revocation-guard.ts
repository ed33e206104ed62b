import type { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { createGuardComponents } from '../core/guard-components.js';
import { GuardError } from '../core/guard-error.js';
import { PROMETHEUS_CONTENT_TYPE } from '../core/guard-metrics.js';
import { httpRefusal, type HttpRefusal } from '../core/http-refusal.js';
import type { GuardLogger } from '../core/logger.js';
import type { Principal } from '../core/principal.js';
import type { RouteRules } from '../core/route-requirements.js';
import { revocationState, type RevocationState } from '../core/revocation-state.js';
import { resolveGuardOptions } from '../nest/resolve-options.js';
import type { RevocationGuardModuleOptions } from '../nest/revocation-guard.options.js';

/**
 * Options of {@link createRevocationGuard}: those of `RevocationGuardModule.forRoot`, validated
 * the same way, plus where to log.
 */
export interface RevocationGuardOptions extends RevocationGuardModuleOptions {
  /**
   * Where the guard logs (never a token or a key): each message is prefixed with the part that
   * logs it (`RevocationFeed: ...`). Default `console` (warn, error and info; `debug` lines are
   * passed on only to a logger that has `debug`).
   */
  logger?: GuardLogger;
}

/**
 * The guard outside NestJS: the same verification, denylist, feed and rules as the Nest module,
 * for Express (`expressGuard`), Fastify (`fastifyGuard`) or plain `node:http`.
 */
export interface NodeRevocationGuard {
  /**
   * Checks an `Authorization` header against a route's rules (scopes, recent login, freshness):
   * the verified, unrevoked principal, or a rejected {@link GuardError} with a stable `code`.
   */
  authorize(authorization: string | undefined, rules?: RouteRules): Promise<Principal>;
  /** The HTTP answer of a refusal: status, headers (challenge, `Retry-After`), JSON body. */
  refusal(error: GuardError): HttpRefusal;
  /** Starts the revocation feed; requests get 503 until it has caught up. */
  start(): Promise<void>;
  /** Stops the feed, ends its connections and timers, and leaves `metrics.registry`. Idempotent. */
  close(): Promise<void>;
  /** The revocation state, for a readiness endpoint (`unavailable`: requests get 503 now). */
  readiness(): RevocationState;
  /** Whether a principal verified earlier has been revoked since (long-lived connections). */
  isRevoked(principal: Principal): boolean;
  readonly metrics: {
    /** Prometheus text of the guard's metrics, for apps without prom-client. */
    render(): string;
    readonly contentType: string;
  };
}

const consoleLogger: GuardLogger = {
  log: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

const prefixed =
  (logger: GuardLogger) =>
  (context: string): GuardLogger => ({
    log: (message) => logger.log(`${context}: ${message}`),
    warn: (message) => logger.warn(`${context}: ${message}`),
    error: (message) => logger.error(`${context}: ${message}`),
    // Expected, harmless lines (kafkajs' first-start noise): kept only if the logger takes them.
    debug: (message) => logger.debug?.(`${context}: ${message}`),
  });

/**
 * The revocation guard for plain Node: no NestJS. Validates `options` at once (a `TypeError`
 * naming what to set); call `start()` before serving and `close()` on shutdown.
 */
export function createRevocationGuard(options: RevocationGuardOptions): NodeRevocationGuard {
  const resolved = resolveGuardOptions(options, 'createRevocationGuard');
  const parts = createGuardComponents(options, resolved, prefixed(options.logger ?? consoleLogger));
  const authenticator: AccessTokenAuthenticator = parts.authenticator;
  const body = { problemDetails: resolved.problemDetails };
  let closing: Promise<void> | undefined;
  return {
    authorize: (authorization, rules) => authenticator.authorize(authorization, rules),
    refusal: (error) => httpRefusal(error, body),
    start: () => parts.start(),
    close: () => (closing ??= parts.close()),
    readiness: () => revocationState({ feed: parts.feed, authenticator, keys: parts.signingKeys }),
    isRevoked: (principal) => authenticator.isRevoked(principal),
    metrics: {
      render: () => parts.metrics.render(),
      contentType: PROMETHEUS_CONTENT_TYPE,
    },
  };
}

/** Whether `err` is a refusal of the guard (else an unexpected failure: answer 500). */
export const isGuardRefusal = (err: unknown): err is GuardError => err instanceof GuardError;
