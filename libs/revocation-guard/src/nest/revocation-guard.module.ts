import { Logger, Module, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { createGuardComponents, type GuardComponents } from '../core/guard-components.js';
import { RevocationFeed } from '../core/revocation-feed.js';
import { TokenVerifier } from '../core/token-verifier.js';
import { GUARD_BODY_OPTIONS, type GuardBodyOptions } from './guard-http-exception.js';
import { IS_PUBLIC_KEY, PUBLIC_METADATA_KEYS } from './public.decorator.js';
import { resolveGuardOptions } from './resolve-options.js';
import {
  GUARD_COMPONENTS,
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

const providers: Provider[] = [
  {
    provide: RESOLVED_OPTIONS,
    inject: [REVOCATION_GUARD_OPTIONS],
    useFactory: (options: RevocationGuardModuleOptions) => resolveGuardOptions(options),
  },
  {
    // The working parts, wired as the plain Node guard wires them (core/guard-components.ts).
    provide: GUARD_COMPONENTS,
    inject: [REVOCATION_GUARD_OPTIONS, RESOLVED_OPTIONS],
    useFactory: (
      options: RevocationGuardModuleOptions,
      resolved: ResolvedGuardOptions,
    ): GuardComponents =>
      createGuardComponents(options, resolved, (context) => new Logger(context)),
  },
  {
    // The health of every JWKS cache (one per token issuer's JWKS, and the events').
    provide: JWKS,
    inject: [GUARD_COMPONENTS],
    useFactory: (c: GuardComponents) => c.signingKeys,
  },
  {
    provide: RevocationFeed,
    inject: [GUARD_COMPONENTS],
    useFactory: (c: GuardComponents) => c.feed,
  },
  {
    provide: TokenVerifier,
    inject: [GUARD_COMPONENTS],
    useFactory: (c: GuardComponents) => c.verifier,
  },
  {
    provide: AccessTokenAuthenticator,
    inject: [GUARD_COMPONENTS],
    useFactory: (c: GuardComponents) => c.authenticator,
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
  {
    provide: PUBLIC_METADATA_KEYS,
    inject: [RESOLVED_OPTIONS],
    useFactory: (resolved: ResolvedGuardOptions) => [IS_PUBLIC_KEY, ...resolved.publicMetadataKeys],
  },
  // Retry-After on a 503 thrown by a handler (RevocationReadiness.check()).
  { provide: APP_INTERCEPTOR, useClass: RetryAfterInterceptor },
  // A refused microservice event ends handled (dropped, its Kafka offset committed).
  { provide: APP_FILTER, useClass: RpcEventRefusalFilter },
  {
    // Counted in the components' GuardMetrics (tokenfence_rpc_refusals_total).
    provide: RpcRefusals,
    inject: [GUARD_COMPONENTS],
    useFactory: (c: GuardComponents) => new RpcRefusals(c.rpcRefusals),
  },
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
