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
import { JwksKeySource, type KeySetHealth } from './jwks-key-source.js';
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
  /**
   * The events' JWKS cache. In the single-issuer form the one cache, for token keys and event
   * keys; each verifier accepts its own kind only.
   */
  readonly keys: JwksKeySource;
  /** Every JWKS cache, one per distinct JWKS (token issuers and events), events' included. */
  readonly keySources: readonly JwksKeySource[];
  /** The health of every JWKS cache together, for readiness reports. */
  readonly signingKeys: { health(): KeySetHealth };
  readonly feed: RevocationFeed;
  readonly verifier: TokenVerifier;
  readonly authenticator: AccessTokenAuthenticator;
  readonly metrics: GuardMetrics;
  /** Refused microservice messages (recorded by the Nest rpc transport), in `metrics`. */
  readonly rpcRefusals: RpcRefusalCounts;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Where a JWKS comes from, as the resolved options give it. */
interface KeyLocation {
  readonly jwksUrl: URL | undefined;
  readonly keys: JSONWebKeySet | undefined;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
}

interface LabelledSource {
  readonly source: JwksKeySource;
  /** The JWKS URL without query or fragment, or `local` (`local-2`, ... for further local sets). */
  readonly label: string;
}

/** The health of several JWKS caches as one: the oldest, any stale, the most failures. */
function combinedHealth(sources: readonly LabelledSource[]): KeySetHealth {
  if (sources.length === 1) return sources[0].source.health();
  const all = sources.map(({ source, label }) => ({ label, health: source.health() }));
  const ages = all.map(({ health }) => health.ageMs);
  const failing = all.find(({ health }) => health.lastError !== null);
  return {
    ageMs: ages.some((age) => age === null) ? null : Math.max(...(ages as number[])),
    stale: all.some(({ health }) => health.stale),
    failures: Math.max(...all.map(({ health }) => health.failures)),
    lastError: failing ? `${failing.label}: ${failing.health.lastError}` : null,
  };
}

/** Builds the guard from validated options (`resolveGuardOptions`). */
export function createGuardComponents(
  options: RevocationGuardModuleOptions,
  resolved: ResolvedGuardOptions,
  logger: GuardLoggerFactory,
): GuardComponents {
  const clock = options.clock ?? systemClock;
  // One cache per distinct JWKS: a token issuer and the events source that name the same URL
  // (or the same local key set) share it. A local key set is served from memory through the
  // same cache, so event keys, key revocations and the readiness report behave alike for both.
  const sources = new Map<string | JSONWebKeySet, LabelledSource>();
  const locations = [...resolved.issuers, resolved.events];
  const distinct = new Set(locations.map((at) => at.jwksUrl?.href ?? at.keys)).size;
  let localSets = 0;
  const sourceFor = (at: KeyLocation): JwksKeySource => {
    const id = at.jwksUrl?.href ?? (at.keys as JSONWebKeySet);
    let entry = sources.get(id);
    if (entry === undefined) {
      localSets += at.jwksUrl ? 0 : 1;
      const label = at.jwksUrl
        ? `${at.jwksUrl.origin}${at.jwksUrl.pathname}`
        : localSets === 1
          ? 'local'
          : `local-${localSets}`;
      const source = new JwksKeySource({
        jwksUrl: at.jwksUrl ?? LOCAL_JWKS_URL,
        ...(at.keys ? { fetch: serveLocal(at.keys) } : {}),
        jwksCacheMaxAgeMs: at.jwksCacheMaxAgeMs,
        jwksCooldownMs: at.jwksCooldownMs,
        logger: logger(distinct === 1 ? 'RevocationGuardKeys' : `RevocationGuardKeys ${label}`),
        ...(options.clock ? { clock: options.clock } : {}),
      });
      entry = { source, label };
      sources.set(id, entry);
    }
    return entry.source;
  };
  const issuerSources = resolved.issuers.map((issuer) => sourceFor(issuer));
  const keys = sourceFor(resolved.events);
  const labelled = [...sources.values()];
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
  // An issuer with a larger clock tolerance keeps them longer still.
  const denylist = new Denylist(
    Math.max(
      resolved.clockToleranceSeconds,
      ...resolved.issuers.map((issuer) => issuer.clockToleranceSeconds),
    ) + resolved.microservices.maxMessageAgeSeconds,
    clock,
  );
  const feed = new RevocationFeed(
    denylist,
    source,
    new EventVerifier(resolved.events.issuer, keys.getKey, {
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
      // Revocations apply per issuer: another issuer's cannot affect a token accepted here.
      issuers: {
        tokens: new Set(resolved.issuers.map((issuer) => issuer.issuer)),
        events: resolved.events.issuer,
      },
      ...(tracing ? { tracing } : {}),
    },
  );
  const verifier = new TokenVerifier({
    issuers: resolved.issuers.map((issuer, i) => ({
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: issuer.algorithms,
      clockToleranceSeconds: issuer.clockToleranceSeconds,
      keys: issuerSources[i].getKey,
      keySource: issuerSources[i],
      maxTokenLifetimeSeconds: issuer.maxTokenLifetimeSeconds,
      profile: issuer.profile,
      claims: issuer.claims,
    })),
    verifiedTokenCacheMaxEntries: resolved.verifiedTokenCacheMaxEntries,
    revocations: feed.denylist,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  // A revoked signing key, or one that left a JWKS, also leaves the verified-token cache at
  // once; a key revocation reloads its issuer's JWKS (the revoked key leaves it, its
  // replacement enters).
  const unsubscribe = [
    feed.onRevocation((revocation) => {
      if (revocation.scope !== 'key') return;
      verifier.forgetKey(revocation.kid);
      const reload = new Set<JwksKeySource>();
      resolved.issuers.forEach((issuer, i) => {
        if (issuer.issuer === revocation.iss) reload.add(issuerSources[i]);
      });
      if (resolved.events.issuer === revocation.iss) reload.add(keys);
      for (const stale of reload) void stale.reload();
    }),
    ...[...new Set(issuerSources)].map((tokenKeys) =>
      tokenKeys.onChange(({ removed }) => {
        for (const kid of removed) verifier.forgetKey(kid);
      }),
    ),
  ];
  const authenticator = new AccessTokenAuthenticator(
    verifier,
    feed,
    resolved,
    logger('RevocationGuard'),
    options.introspection ? new IntrospectionClient(options.introspection) : undefined,
    options.clock,
    // Introspection asks the events' issuer, which answers for its own tokens only.
    resolved.events.issuer,
  );
  const rpcRefusals = new RpcRefusalCounts();
  const metrics = new GuardMetrics({
    feed,
    authenticator,
    rpcRefusals,
    keySources: labelled.map(({ source: keySource, label }) => ({
      label,
      lastFetchedAtMs: () => keySource.lastFetchedAtMs(),
    })),
    nowMs: () => clock.nowMs(),
  });
  if (options.metrics?.registry) metrics.register(options.metrics.registry);
  return {
    keys,
    keySources: labelled.map(({ source: keySource }) => keySource),
    signingKeys: { health: () => combinedHealth(labelled) },
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
