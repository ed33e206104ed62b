import { Logger, Module, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import type { JSONWebKeySet } from 'jose';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { systemClock } from '../core/clock.js';
import { Denylist } from '../core/denylist.js';
import { IntrospectionClient } from '../core/introspection-client.js';
import { EventVerifier } from '../core/event-verifier.js';
import { JwksKeySource } from '../core/jwks-key-source.js';
import { RevocationFeed } from '../core/revocation-feed.js';
import { TokenVerifier } from '../core/token-verifier.js';
import { KafkaEventSource } from '../kafka/kafka-event-source.js';
import { GUARD_BODY_OPTIONS, type GuardBodyOptions } from './guard-http-exception.js';
import { resolveGuardOptions } from './resolve-options.js';
import {
  GUARD_JWKS as JWKS,
  REVOCATION_GUARD_OPTIONS,
  RevocationGuardConfigurableModule,
} from './revocation-guard.module-definition.js';
import {
  GUARD_MICROSERVICES_OPTIONS,
  type ResolvedGuardOptions,
  type RevocationGuardModuleOptions,
} from './revocation-guard.options.js';
import { RpcEventRefusalFilter } from './rpc-event-refusal.filter.js';
import { RpcRefusals } from './rpc-transport.js';
import { RevocationFeedLifecycle } from './revocation-feed.lifecycle.js';
import { RevocationGuard } from './revocation.guard.js';
import { RevocationMetrics } from './revocation-metrics.js';
import { RevocationReadiness } from './revocation-readiness.js';
import { RetryAfterInterceptor } from './retry-after.interceptor.js';
import { RevocationSocketAuth } from './revocation-socket-auth.js';
import { SocketCredentials } from './socket-credentials.js';

const RESOLVED_OPTIONS = Symbol('RESOLVED_GUARD_OPTIONS');
/** Stands for the `keys` option where a JWKS URL is expected; never fetched over the network. */
const LOCAL_JWKS_URL = 'urn:tokenfence:local-jwks';

/** A `fetch` that answers every request with the local key set. */
const serveLocal =
  (keys: JSONWebKeySet): typeof fetch =>
  () =>
    Promise.resolve(
      new Response(JSON.stringify(keys), { headers: { 'content-type': 'application/json' } }),
    );
const KEY_CHANGES = Symbol('GUARD_KEY_CHANGES');

const providers: Provider[] = [
  {
    provide: RESOLVED_OPTIONS,
    inject: [REVOCATION_GUARD_OPTIONS],
    useFactory: resolveGuardOptions,
  },
  {
    // One JWKS cache for token keys and event keys; each verifier only accepts its own kind.
    provide: JWKS,
    inject: [REVOCATION_GUARD_OPTIONS, RESOLVED_OPTIONS],
    useFactory: (
      options: RevocationGuardModuleOptions,
      resolved: ResolvedGuardOptions,
    ): JwksKeySource =>
      new JwksKeySource({
        // A local key set is served from memory through the same cache, so event keys, key
        // revocations and the readiness report behave alike for both.
        jwksUrl: resolved.jwksUrl ?? LOCAL_JWKS_URL,
        ...(resolved.keys ? { fetch: serveLocal(resolved.keys) } : {}),
        jwksCacheMaxAgeMs: resolved.jwksCacheMaxAgeMs,
        jwksCooldownMs: resolved.jwksCooldownMs,
        logger: new Logger('RevocationGuardKeys'),
        ...(options.clock ? { clock: options.clock } : {}),
      }),
  },
  {
    provide: RevocationFeed,
    inject: [REVOCATION_GUARD_OPTIONS, RESOLVED_OPTIONS, JWKS],
    useFactory: (
      options: RevocationGuardModuleOptions,
      resolved: ResolvedGuardOptions,
      jwks: JwksKeySource,
    ): RevocationFeed => {
      const clock = options.clock ?? systemClock;
      const logger = new Logger('RevocationFeed');
      const source =
        options.eventSource ??
        new KafkaEventSource({
          // resolveGuardOptions requires kafka.brokers when there is no eventSource
          brokers: options.kafka?.brokers ?? [],
          topic: resolved.topic,
          clientId: options.kafka?.clientId ?? 'revocation-guard',
          groupIdPrefix: options.kafka?.groupIdPrefix ?? 'revocation-guard',
          logger,
          kafka: options.kafka?.client,
        });
      // Expiry checked at a message timestamp accepts tokens up to maxMessageAgeSeconds past
      // their exp: their revocations are kept that much longer, so they still apply.
      const denylist = new Denylist(
        resolved.clockToleranceSeconds + resolved.microservices.maxMessageAgeSeconds,
        clock,
      );
      return new RevocationFeed(
        denylist,
        source,
        new EventVerifier(resolved.issuer, jwks.getKey, {
          keySource: jwks,
          revokedKeys: denylist,
          clock,
          clockToleranceSeconds: resolved.clockToleranceSeconds,
        }),
        logger,
        clock,
        {
          denylistPruneIntervalMs: resolved.denylistPruneIntervalMs,
          clockToleranceSeconds: resolved.clockToleranceSeconds,
          keySource: jwks,
        },
      );
    },
  },
  {
    provide: TokenVerifier,
    inject: [REVOCATION_GUARD_OPTIONS, RESOLVED_OPTIONS, JWKS, RevocationFeed],
    useFactory: (
      options: RevocationGuardModuleOptions,
      resolved: ResolvedGuardOptions,
      jwks: JwksKeySource,
      feed: RevocationFeed,
    ): TokenVerifier =>
      new TokenVerifier({
        issuer: resolved.issuer,
        audience: resolved.audience,
        algorithms: resolved.algorithms,
        clockToleranceSeconds: resolved.clockToleranceSeconds,
        keys: jwks.getKey,
        verifiedTokenCacheMaxEntries: resolved.verifiedTokenCacheMaxEntries,
        maxTokenLifetimeSeconds: resolved.maxTokenLifetimeSeconds,
        revocations: feed.denylist,
        ...(options.clock ? { clock: options.clock } : {}),
      }),
  },
  {
    // A revoked signing key, or one that left the JWKS, also leaves the verified-token cache at
    // once; a key revocation reloads the JWKS (the revoked key leaves it, its replacement enters).
    provide: KEY_CHANGES,
    inject: [RevocationFeed, TokenVerifier, JWKS],
    useFactory: (feed: RevocationFeed, verifier: TokenVerifier, jwks: JwksKeySource) => [
      feed.onRevocation((revocation) => {
        if (revocation.scope !== 'key') return;
        verifier.forgetKey(revocation.kid);
        void jwks.reload();
      }),
      jwks.onChange(({ removed }) => {
        for (const kid of removed) verifier.forgetKey(kid);
      }),
    ],
  },
  {
    provide: AccessTokenAuthenticator,
    inject: [TokenVerifier, RevocationFeed, RESOLVED_OPTIONS, REVOCATION_GUARD_OPTIONS],
    useFactory: (
      verifier: TokenVerifier,
      feed: RevocationFeed,
      resolved: ResolvedGuardOptions,
      options: RevocationGuardModuleOptions,
    ) =>
      new AccessTokenAuthenticator(
        verifier,
        feed,
        resolved,
        new Logger('RevocationGuard'),
        options.introspection ? new IntrospectionClient(options.introspection) : undefined,
        options.clock,
      ),
  },
  {
    provide: GUARD_BODY_OPTIONS,
    inject: [RESOLVED_OPTIONS],
    useFactory: (resolved: ResolvedGuardOptions): GuardBodyOptions => ({
      problemDetails: resolved.problemDetails,
    }),
  },
  {
    provide: GUARD_MICROSERVICES_OPTIONS,
    inject: [RESOLVED_OPTIONS],
    useFactory: (resolved: ResolvedGuardOptions) => resolved.microservices,
  },
  // Retry-After on a 503 thrown by a handler (RevocationReadiness.check()).
  { provide: APP_INTERCEPTOR, useClass: RetryAfterInterceptor },
  // A refused microservice event ends handled (dropped, its Kafka offset committed).
  { provide: APP_FILTER, useClass: RpcEventRefusalFilter },
  RpcRefusals,
  RevocationFeedLifecycle,
  SocketCredentials,
  RevocationGuard,
  RevocationReadiness,
  RevocationSocketAuth,
  RevocationMetrics,
];

/**
 * Verifies access tokens locally and rejects revoked ones. Import once in the root module:
 * `RevocationGuardModule.forRoot({...})` or `forRootAsync({ useFactory, inject })`. The module is
 * global; by default it installs {@link RevocationGuard} for every route (deny by default).
 */
@Module({
  imports: [DiscoveryModule],
  providers,
  exports: [
    RevocationFeed,
    TokenVerifier,
    AccessTokenAuthenticator,
    RevocationGuard,
    SocketCredentials,
    RevocationReadiness,
    RevocationSocketAuth,
    RevocationMetrics,
  ],
})
export class RevocationGuardModule extends RevocationGuardConfigurableModule {}
