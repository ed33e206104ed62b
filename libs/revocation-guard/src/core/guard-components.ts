import type { JSONWebKeySet } from 'jose';
import { KafkaEventSource } from '../kafka/kafka-event-source.js';
import { DeferredOtelFeedTracing } from '../tracing/otel-feed-tracing.js';
import type {
  ResolvedGuardOptions,
  RevocationGuardModuleOptions,
} from '../nest/revocation-guard.options.js';
import { AccessTokenAuthenticator } from './access-token-authenticator.js';
import { systemClock } from './clock.js';
import { Denylist } from './denylist.js';
import { EventVerifier } from './event-verifier.js';
import { GuardMetrics } from './guard-metrics.js';
import { IntrospectionClient } from './introspection-client.js';
import { JwksKeySource } from './jwks-key-source.js';
import type { GuardLogger } from './logger.js';
import { RevocationFeed } from './revocation-feed.js';
import { RpcRefusalCounts } from './rpc-refusal-counts.js';
import { TokenVerifier } from './token-verifier.js';

/** Stands for the `keys` option where a JWKS URL is expected; never fetched over the network. */
const LOCAL_JWKS_URL = 'urn:tokenfence:local-jwks';

/** A `fetch` that answers every request with the local key set. */
const serveLocal =
  (keys: JSONWebKeySet): typeof fetch =>
  () =>
    Promise.resolve(
      new Response(JSON.stringify(keys), { headers: { 'content-type': 'application/json' } }),
    );

/** A logger for one part of the guard (`RevocationFeed`, `RevocationGuard`, ...). */
export type GuardLoggerFactory = (context: string) => GuardLogger;

/**
 * The guard's working parts, wired once: the Nest module provides them, the plain Node guard
 * holds them. `start()` starts the feed; `close()` stops it and takes the metrics out of the
 * app's registry.
 */
export interface GuardComponents {
  /** The one JWKS cache, for token keys and event keys; each verifier accepts its own kind only. */
  readonly keys: JwksKeySource;
  readonly feed: RevocationFeed;
  readonly verifier: TokenVerifier;
  readonly authenticator: AccessTokenAuthenticator;
  readonly metrics: GuardMetrics;
  /** Refused microservice messages (recorded by the Nest rpc transport), in `metrics`. */
  readonly rpcRefusals: RpcRefusalCounts;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Builds the guard from validated options (`resolveGuardOptions`). */
export function createGuardComponents(
  options: RevocationGuardModuleOptions,
  resolved: ResolvedGuardOptions,
  logger: GuardLoggerFactory,
): GuardComponents {
  const clock = options.clock ?? systemClock;
  // A local key set is served from memory through the same cache, so event keys, key
  // revocations and the readiness report behave alike for both.
  const keys = new JwksKeySource({
    jwksUrl: resolved.jwksUrl ?? LOCAL_JWKS_URL,
    ...(resolved.keys ? { fetch: serveLocal(resolved.keys) } : {}),
    jwksCacheMaxAgeMs: resolved.jwksCacheMaxAgeMs,
    jwksCooldownMs: resolved.jwksCooldownMs,
    logger: logger('RevocationGuardKeys'),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const feedLogger = logger('RevocationFeed');
  const source =
    options.eventSource ??
    new KafkaEventSource({
      // resolveGuardOptions requires kafka.brokers when there is no eventSource
      brokers: options.kafka?.brokers ?? [],
      topic: resolved.topic,
      clientId: options.kafka?.clientId ?? 'revocation-guard',
      groupIdPrefix: options.kafka?.groupIdPrefix ?? 'revocation-guard',
      logger: feedLogger,
      kafka: options.kafka?.client,
      traceHeaders: resolved.tracing,
    });
  // @opentelemetry/api is an optional peer: imported by start() only under `tracing: true`.
  const tracing = resolved.tracing ? new DeferredOtelFeedTracing(resolved.topic) : undefined;
  // Expiry checked at a message timestamp (microservices.checkExpiryAt) accepts tokens up to
  // maxMessageAgeSeconds past their exp: their revocations are kept that much longer, so they
  // still apply. It is 0 otherwise (and in the plain Node guard, which has no rpc handlers).
  const denylist = new Denylist(
    resolved.clockToleranceSeconds + resolved.microservices.maxMessageAgeSeconds,
    clock,
  );
  const feed = new RevocationFeed(
    denylist,
    source,
    new EventVerifier(resolved.issuer, keys.getKey, {
      keySource: keys,
      revokedKeys: denylist,
      clock,
      clockToleranceSeconds: resolved.clockToleranceSeconds,
    }),
    feedLogger,
    clock,
    {
      denylistPruneIntervalMs: resolved.denylistPruneIntervalMs,
      clockToleranceSeconds: resolved.clockToleranceSeconds,
      keySource: keys,
      ...(tracing ? { tracing } : {}),
    },
  );
  const verifier = new TokenVerifier({
    issuer: resolved.issuer,
    audience: resolved.audience,
    algorithms: resolved.algorithms,
    clockToleranceSeconds: resolved.clockToleranceSeconds,
    keys: keys.getKey,
    verifiedTokenCacheMaxEntries: resolved.verifiedTokenCacheMaxEntries,
    maxTokenLifetimeSeconds: resolved.maxTokenLifetimeSeconds,
    revocations: feed.denylist,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // A revoked signing key, or one that left the JWKS, also leaves the verified-token cache at
  // once; a key revocation reloads the JWKS (the revoked key leaves it, its replacement enters).
  const unsubscribe = [
    feed.onRevocation((revocation) => {
      if (revocation.scope !== 'key') return;
      verifier.forgetKey(revocation.kid);
      void keys.reload();
    }),
    keys.onChange(({ removed }) => {
      for (const kid of removed) verifier.forgetKey(kid);
    }),
  ];
  const authenticator = new AccessTokenAuthenticator(
    verifier,
    feed,
    resolved,
    logger('RevocationGuard'),
    options.introspection ? new IntrospectionClient(options.introspection) : undefined,
    options.clock,
  );
  const rpcRefusals = new RpcRefusalCounts();
  const metrics = new GuardMetrics({
    feed,
    authenticator,
    rpcRefusals,
    keySources: [
      {
        label: resolved.jwksUrl
          ? `${resolved.jwksUrl.origin}${resolved.jwksUrl.pathname}`
          : 'local',
        lastFetchedAtMs: () => keys.lastFetchedAtMs(),
      },
    ],
    nowMs: () => clock.nowMs(),
  });
  if (options.metrics?.registry) metrics.register(options.metrics.registry);
  return {
    keys,
    feed,
    verifier,
    authenticator,
    metrics,
    rpcRefusals,
    start: async () => {
      await tracing?.load();
      await feed.start();
    },
    close: async () => {
      for (const stop of unsubscribe) stop();
      metrics.unregister();
      await feed.stop();
    },
  };
}
