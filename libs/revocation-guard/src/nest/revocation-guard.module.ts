import { Logger, Module, type Provider } from '@nestjs/common';
import { createRemoteJWKSet } from 'jose';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { systemClock } from '../core/clock.js';
import { Denylist } from '../core/denylist.js';
import { RevocationFeed } from '../core/revocation-feed.js';
import { TokenVerifier } from '../core/token-verifier.js';
import { KafkaEventSource } from '../kafka/kafka-event-source.js';
import { resolveGuardOptions } from './resolve-options.js';
import {
  REVOCATION_GUARD_OPTIONS,
  RevocationGuardConfigurableModule,
} from './revocation-guard.module-definition.js';
import type { RevocationGuardModuleOptions } from './revocation-guard.options.js';
import { RevocationFeedLifecycle } from './revocation-feed.lifecycle.js';
import { RevocationGuard } from './revocation.guard.js';
import { RevocationReadiness } from './revocation-readiness.js';

const JWKS_COOLDOWN_MS = 30_000;
const JWKS_MAX_AGE_MS = 10 * 60_000;

const providers: Provider[] = [
  {
    provide: RevocationFeed,
    inject: [REVOCATION_GUARD_OPTIONS],
    useFactory: (options: RevocationGuardModuleOptions): RevocationFeed => {
      const resolved = resolveGuardOptions(options);
      const clock = options.clock ?? systemClock;
      const logger = new Logger('RevocationFeed');
      const source =
        options.eventSource ??
        new KafkaEventSource({
          brokers: options.kafka.brokers,
          topic: resolved.topic,
          clientId: options.kafka.clientId ?? 'revocation-guard',
          groupIdPrefix: options.kafka.groupIdPrefix ?? 'revocation-guard',
          logger,
          kafka: options.kafka.client,
        });
      return new RevocationFeed(
        new Denylist(resolved.clockToleranceSeconds, clock),
        source,
        logger,
        clock,
      );
    },
  },
  {
    provide: TokenVerifier,
    inject: [REVOCATION_GUARD_OPTIONS],
    useFactory: (options: RevocationGuardModuleOptions): TokenVerifier => {
      const resolved = resolveGuardOptions(options);
      return new TokenVerifier({
        issuer: resolved.issuer,
        audience: resolved.audience,
        algorithms: resolved.algorithms,
        clockToleranceSeconds: resolved.clockToleranceSeconds,
        keys: createRemoteJWKSet(resolved.jwksUrl, {
          cooldownDuration: JWKS_COOLDOWN_MS,
          cacheMaxAge: JWKS_MAX_AGE_MS,
        }),
        ...(options.clock ? { clock: options.clock } : {}),
      });
    },
  },
  {
    provide: AccessTokenAuthenticator,
    inject: [TokenVerifier, RevocationFeed],
    useFactory: (verifier: TokenVerifier, feed: RevocationFeed) =>
      new AccessTokenAuthenticator(verifier, feed),
  },
  RevocationFeedLifecycle,
  RevocationGuard,
  RevocationReadiness,
];

/**
 * Verifies access tokens locally and rejects revoked ones. Import once in the root module:
 * `RevocationGuardModule.forRoot({...})` or `forRootAsync({ useFactory, inject })`. The module is
 * global; by default it installs {@link RevocationGuard} for every route (deny by default).
 */
@Module({
  providers,
  exports: [
    RevocationFeed,
    TokenVerifier,
    AccessTokenAuthenticator,
    RevocationGuard,
    RevocationReadiness,
  ],
})
export class RevocationGuardModule extends RevocationGuardConfigurableModule {}
