import { DEFAULT_REVOCATION_TOPIC } from '@tokenfence/contract';
import type { RevocationGuardModuleOptions } from '@tokenfence/revocation-guard';
import { loadLogSettings, type LogSettings } from './log-settings.js';
import { loadMetricsToken } from './metrics-access.js';

/** What a sample service (orders, game) runs with, validated once at start-up. */
export interface SampleConfig {
  readonly host: string;
  readonly port: number;
  readonly log: LogSettings;
  /** `METRICS_BEARER_TOKEN`, for services that serve `/metrics`; undefined leaves it open. */
  readonly metricsBearerToken: string | undefined;
  readonly guard: RevocationGuardModuleOptions;
}

export interface SampleService {
  /** Named in errors and used as the Kafka client id and consumer-group prefix. */
  readonly name: string;
  readonly defaultPort: number;
  /** Whether the service serves `/metrics` (and so reads `METRICS_BEARER_TOKEN`). */
  readonly metrics: boolean;
}

type Env = Record<string, string | undefined>;

const STALE_POLICIES = ['reject', 'allow', 'introspect'] as const;

/**
 * The samples' one configuration loader. Throws a TypeError naming the variable to fix; the guard
 * then checks the options it is given (ranges, URLs) at start-up too.
 */
export function loadSampleConfig(env: Env, service: SampleService): SampleConfig {
  const fail = (name: string, expected: string): never => {
    throw new TypeError(`${service.name}: environment variable ${name} must be ${expected}`);
  };
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, min: number, max: number): number | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      fail(name, `an integer between ${min} and ${max} (got "${env[name]}")`);
    }
    return value;
  };
  const url = (name: string, fallback: string): string => {
    const raw = text(name) ?? fallback;
    let parsed: URL | undefined;
    try {
      parsed = new URL(raw);
    } catch {
      // reported below
    }
    if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
      fail(name, `an absolute http(s) URL (got "${raw}")`);
    }
    return raw.replace(/\/+$/, '');
  };

  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) fail('KAFKA_BROKERS', 'a comma-separated list such as 127.0.0.1:9092');

  const stalePolicy = text('REVOCATION_STALE_POLICY');
  if (stalePolicy !== undefined && !(STALE_POLICIES as readonly string[]).includes(stalePolicy)) {
    fail('REVOCATION_STALE_POLICY', `one of ${STALE_POLICIES.join(', ')} (got "${stalePolicy}")`);
  }
  const insecure = text('REVOCATION_ALLOW_INSECURE_HTTP');
  if (insecure !== undefined && insecure !== 'true' && insecure !== 'false') {
    fail('REVOCATION_ALLOW_INSECURE_HTTP', `true or false (got "${insecure}")`);
  }
  const introspectionId = text('INTROSPECTION_CLIENT_ID');
  const introspectionSecret = text('INTROSPECTION_CLIENT_SECRET');
  if ((introspectionId === undefined) !== (introspectionSecret === undefined)) {
    fail(
      introspectionId === undefined ? 'INTROSPECTION_CLIENT_ID' : 'INTROSPECTION_CLIENT_SECRET',
      'set together with the other INTROSPECTION_CLIENT_ variable',
    );
  }

  // Off by default, like the auth service's; OTEL_SDK_DISABLED=true turns it off too.
  const tracing = text('TRACING')?.toLowerCase();
  if (tracing !== undefined && !['on', 'off', 'true', 'false', '1', '0'].includes(tracing)) {
    fail('TRACING', `on or off (got "${env.TRACING}")`);
  }
  const tracingOn =
    (tracing === 'on' || tracing === 'true' || tracing === '1') &&
    text('OTEL_SDK_DISABLED')?.toLowerCase() !== 'true';

  const issuer = url('AUTH_ISSUER', 'http://127.0.0.1:3000');
  const maxStalenessMs = int('REVOCATION_MAX_STALENESS_MS', 1, 86_400_000);
  const denylistPruneIntervalMs = int('REVOCATION_PRUNE_INTERVAL_MS', 1, 86_400_000);
  const maxTokenLifetimeSeconds = int('REVOCATION_MAX_TOKEN_LIFETIME_SECONDS', 1, 31_536_000);
  return {
    host: text('HOST') ?? '127.0.0.1',
    port: int('PORT', 0, 65_535) ?? service.defaultPort,
    log: loadLogSettings(env, service.name),
    metricsBearerToken: service.metrics ? loadMetricsToken(env, service.name) : undefined,
    guard: {
      issuer,
      audience: text('AUTH_AUDIENCE') ?? 'tokenfence-services',
      jwksUrl: url('JWKS_URL', `${issuer}/.well-known/jwks.json`),
      ...(maxStalenessMs !== undefined ? { maxStalenessMs } : {}),
      ...(denylistPruneIntervalMs !== undefined ? { denylistPruneIntervalMs } : {}),
      ...(maxTokenLifetimeSeconds !== undefined ? { maxTokenLifetimeSeconds } : {}),
      // Plain http to the auth service off this host: only on a private network you trust.
      ...(insecure === 'true' ? { allowInsecureHttp: true } : {}),
      ...(stalePolicy !== undefined
        ? { stalePolicy: stalePolicy as (typeof STALE_POLICIES)[number] }
        : {}),
      ...(introspectionId !== undefined && introspectionSecret !== undefined
        ? {
            introspection: {
              url: `${issuer}/oauth/introspect`,
              clientId: introspectionId,
              clientSecret: introspectionSecret,
            },
          }
        : {}),
      ...(tracingOn ? { tracing: true } : {}),
      kafka: {
        brokers,
        topic: text('REVOCATION_TOPIC') ?? DEFAULT_REVOCATION_TOPIC,
        clientId: service.name,
        groupIdPrefix: service.name,
      },
    },
  };
}
