import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminBootstrap } from './admin/admin-bootstrap.js';
import { AdminScopeGuard } from './admin/admin-scope.guard.js';
import { AdminController } from './admin/admin.controller.js';
import { AdminUsersController } from './admin/admin-users.controller.js';
import { AdminService } from './admin/admin.service.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { BearerAuthGuard } from './auth/bearer-auth.guard.js';
import { LiveAccessTokens } from './auth/live-access-tokens.js';
import { AUTH_CONFIG, type AuthConfig } from './config/auth-config.js';
import { DATABASE, type Database } from './database/database.js';
import { HttpErrorFilter } from './errors/http-error.filter.js';
import { HealthController } from './health/health.controller.js';
import { KafkaRevocationPublisher } from './kafka/kafka-revocation.publisher.js';
import { REVOCATION_PUBLISHER } from './kafka/revocation-publisher.js';
import { JwksController } from './keys/jwks.controller.js';
import { LoginLockout } from './lockout/login-lockout.js';
import { AuthMetrics } from './metrics/auth-metrics.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { DatabaseRateLimitStore } from './rate-limit/database-rate-limit.store.js';
import { RateLimitGuard } from './rate-limit/rate-limit.guard.js';
import { RATE_LIMIT_STORE } from './rate-limit/rate-limit-store.js';
import { ClientAuthenticator } from './oauth/client-authenticator.js';
import { BrowserSessions } from './oauth/browser-sessions.js';
import { AuthorizationCodes } from './oauth/authorization-codes.js';
import { AuthorizeController } from './oauth/authorize.controller.js';
import { CsrfTokens } from './oauth/csrf-tokens.js';
import { ClientCredentialsGrant } from './oauth/client-credentials.grant.js';
import { ClientCutoffs } from './oauth/client-cutoffs.js';
import { OAuthController } from './oauth/oauth.controller.js';
import { HubOAuthController } from './oauth/hub-oauth.controller.js';
import { oauthEndpoints } from './oauth/oauth-endpoints.js';
import { OAuthTokensService } from './oauth/oauth-tokens.service.js';
import { SigningKeys } from './keys/signing-keys.js';
import { TokenIssuer } from './keys/token-issuer.js';
import { EventSigner } from './revocation/event-signer.js';
import { OutboxRelay } from './revocation/outbox.relay.js';
import { RevocationRecorder } from './revocation/revocation-recorder.js';
import { RevocationSnapshot } from './revocation/revocation-snapshot.js';
import { TopicHistory } from './revocation/topic-history.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { BackChannelLogoutController } from './signals/backchannel-logout.controller.js';
import { ProviderKeys } from './signals/provider-keys.js';
import { ProviderSignals } from './signals/provider-signals.js';
import { SecurityEvents } from './signals/security-events.js';
import { SsfPushController } from './signals/ssf-push.controller.js';
import { SsfReceiver } from './signals/ssf-receiver.js';
import { SsfStreams } from './signals/ssf-streams.js';
import { SessionsRepository } from './sessions/sessions.repository.js';
import { SessionsService } from './sessions/sessions.service.js';
import { PasswordHasher } from './users/password-hasher.js';
import { UsersRepository } from './users/users.repository.js';
import { CLOCK, systemClock, type Clock } from './time/clock.js';
import { AuthTracing } from './tracing/auth-tracing.js';

/**
 * The routes of each mode. Both: identity providers' signals, the keys, health, metrics and the
 * admin endpoints that need no local user. A signals hub registers nothing for local users or
 * for tokens issued to them (its token endpoint serves the client credentials grant alone, and
 * only while a client may use it), so those paths answer exactly as paths that never existed:
 * 404 `NOT_FOUND`.
 */
export function controllersFor(config: Pick<AuthConfig, 'mode' | 'clients'>): Type[] {
  const common: Type[] = [
    AdminController,
    BackChannelLogoutController,
    SsfPushController,
    JwksController,
    HealthController,
    MetricsController,
  ];
  if (config.mode === 'signals-hub') {
    const oauth = Object.keys(oauthEndpoints(config)).length > 0 ? [HubOAuthController] : [];
    return [...oauth, ...common];
  }
  return [
    AuthController,
    SessionsController,
    OAuthController,
    AuthorizeController,
    AdminUsersController,
    ...common,
  ];
}

@Module({})
export class AuthAppModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Runs after the providers' shutdown hooks (the outbox relay), so the database closes last. */
  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }

  /**
   * The whole service, for a validated config and an opened, migrated database; `clock` is its
   * one time source (tests freeze it).
   */
  static forRoot(
    config: AuthConfig,
    database: Database,
    clock: Clock = systemClock,
  ): DynamicModule {
    return {
      module: AuthAppModule,
      controllers: controllersFor(config),
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: DATABASE, useValue: database },
        { provide: CLOCK, useValue: clock },
        { provide: REVOCATION_PUBLISHER, useClass: KafkaRevocationPublisher },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        {
          provide: RATE_LIMIT_STORE,
          useFactory: (db: Database, clock: Clock) =>
            new DatabaseRateLimitStore(db, () => clock.nowMs()),
          inject: [DATABASE, CLOCK],
        },
        {
          provide: LoginLockout,
          useFactory: (db: Database, config: AuthConfig, clock: Clock, metrics: AuthMetrics) =>
            new LoginLockout(
              db,
              config.loginLockout,
              () => clock.nowMs(),
              () => metrics.lockouts.inc(),
            ),
          inject: [DATABASE, AUTH_CONFIG, CLOCK, AuthMetrics],
        },
        {
          provide: AuthTracing,
          useFactory: (config: AuthConfig) =>
            new AuthTracing(config.tracing, config.revocationTopic),
          inject: [AUTH_CONFIG],
        },
        {
          provide: ProviderKeys,
          useFactory: (config: AuthConfig) => new ProviderKeys(config.identityProviders),
          inject: [AUTH_CONFIG],
        },
        ProviderSignals,
        SsfStreams,
        SecurityEvents,
        SsfReceiver,
        AuthMetrics,
        PasswordHasher,
        UsersRepository,
        SessionsRepository,
        SessionsService,
        SigningKeys,
        TokenIssuer,
        RevocationRecorder,
        EventSigner,
        TopicHistory,
        RevocationSnapshot,
        OutboxRelay,
        AuthService,
        ClientAuthenticator,
        BrowserSessions,
        AuthorizationCodes,
        CsrfTokens,
        ClientCutoffs,
        ClientCredentialsGrant,
        OAuthTokensService,
        LiveAccessTokens,
        BearerAuthGuard,
        RateLimitGuard,
        AdminScopeGuard,
        AdminService,
        AdminBootstrap,
      ],
    };
  }
}
