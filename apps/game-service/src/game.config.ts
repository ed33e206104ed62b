import type { RevocationGuardModuleOptions } from '@tokenfence/revocation-guard';
import { loadLogSettings, type LogSettings } from '@tokenfence/service-kit';

export interface GameConfig {
  readonly host: string;
  readonly port: number;
  readonly guard: RevocationGuardModuleOptions;
  /** `LOG_LEVEL` and `LOG_FORMAT`. */
  readonly log: LogSettings;
}

/** Validated once at start-up: a missing broker list is a TypeError naming what to set. */
export function loadGameConfig(env: Record<string, string | undefined> = process.env): GameConfig {
  const brokers = env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
  if (brokers.length === 0)
    throw new TypeError('game-service: set KAFKA_BROKERS, e.g. 127.0.0.1:9092');
  const port = Number(env.PORT || 3002);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('game-service: PORT must be an integer between 0 and 65535');
  }
  const issuer = env.AUTH_ISSUER || 'http://127.0.0.1:3000';
  return {
    host: env.HOST || '127.0.0.1',
    port,
    log: loadLogSettings(env, 'game-service'),
    guard: {
      issuer,
      ...(env.REVOCATION_MAX_STALENESS_MS
        ? { maxStalenessMs: Number(env.REVOCATION_MAX_STALENESS_MS) }
        : {}),
      // Checked by the guard at start-up (a TypeError naming the option).
      ...(env.REVOCATION_PRUNE_INTERVAL_MS
        ? { denylistPruneIntervalMs: Number(env.REVOCATION_PRUNE_INTERVAL_MS) }
        : {}),
      ...(env.REVOCATION_MAX_TOKEN_LIFETIME_SECONDS
        ? { maxTokenLifetimeSeconds: Number(env.REVOCATION_MAX_TOKEN_LIFETIME_SECONDS) }
        : {}),
      // Plain http to the auth service off this host: only on a private network you trust.
      ...(env.REVOCATION_ALLOW_INSECURE_HTTP === 'true' ? { allowInsecureHttp: true } : {}),
      ...(env.REVOCATION_STALE_POLICY === 'allow' ||
      env.REVOCATION_STALE_POLICY === 'reject' ||
      env.REVOCATION_STALE_POLICY === 'introspect'
        ? { stalePolicy: env.REVOCATION_STALE_POLICY }
        : {}),
      ...(env.INTROSPECTION_CLIENT_ID && env.INTROSPECTION_CLIENT_SECRET
        ? {
            introspection: {
              url: `${issuer}/oauth/introspect`,
              clientId: env.INTROSPECTION_CLIENT_ID,
              clientSecret: env.INTROSPECTION_CLIENT_SECRET,
            },
          }
        : {}),
      audience: env.AUTH_AUDIENCE || 'tokenfence-services',
      jwksUrl: env.JWKS_URL || `${issuer}/.well-known/jwks.json`,
      kafka: {
        brokers,
        topic: env.REVOCATION_TOPIC || 'auth.revocations',
        clientId: 'game-service',
        groupIdPrefix: 'game-service',
      },
    },
  };
}

/** Injection token of {@link GameConfig}. */
export const GAME_CONFIG = Symbol('GAME_CONFIG');
