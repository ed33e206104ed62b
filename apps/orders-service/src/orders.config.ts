import type { RevocationGuardModuleOptions } from '@tokenfence/revocation-guard';
import { loadLogSettings, loadMetricsToken, type LogSettings } from '@tokenfence/service-kit';

export interface OrdersConfig {
  readonly host: string;
  readonly port: number;
  readonly guard: RevocationGuardModuleOptions;
  /** `LOG_LEVEL` and `LOG_FORMAT`. */
  readonly log: LogSettings;
  /** `METRICS_BEARER_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer <it>`. */
  readonly metricsBearerToken: string | undefined;
}

function required(env: Record<string, string | undefined>, name: string, example: string): string {
  const value = env[name];
  if (!value) throw new TypeError(`orders-service: set ${name} (for example ${example})`);
  return value;
}

/** Injection token of {@link OrdersConfig}. */
export const ORDERS_CONFIG = Symbol('ORDERS_CONFIG');

/** Reads the environment once at start-up; the library itself never reads it. */
export function loadOrdersConfig(
  env: Record<string, string | undefined> = process.env,
): OrdersConfig {
  const issuer = env.AUTH_ISSUER || 'http://127.0.0.1:3000';
  const port = Number(env.PORT || 3001);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('orders-service: PORT must be an integer between 0 and 65535');
  }
  return {
    host: env.HOST || '127.0.0.1',
    port,
    log: loadLogSettings(env, 'orders-service'),
    metricsBearerToken: loadMetricsToken(env, 'orders-service'),
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
        brokers: required(env, 'KAFKA_BROKERS', '127.0.0.1:9092').split(','),
        clientId: 'orders-service',
        groupIdPrefix: 'orders-service',
        ...(env.REVOCATION_TOPIC ? { topic: env.REVOCATION_TOPIC } : {}),
      },
    },
  };
}
