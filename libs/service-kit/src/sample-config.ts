import { DEFAULT_REVOCATION_TOPIC } from '@tokenfence/contract';
import type {
  RevocationGuardModuleOptions,
  TokenIssuerOptions,
} from '@tokenfence/revocation-guard';
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

/** What an entry of `TRUSTED_ISSUERS` may hold: a guard `TokenIssuerOptions` with a `jwksUrl`. */
const TRUSTED_ISSUER_KEYS = new Set([
  'issuer',
  'jwksUrl',
  'audience',
  'profile',
  'algorithms',
  'claims',
  'maxTokenLifetimeSeconds',
  'clockToleranceSeconds',
]);
const TRUSTED_ISSUERS_SHAPE =
  'a JSON array of issuers, e.g. [{"issuer":"https://kc/realms/acme","jwksUrl":"https://kc/realms/acme/protocol/openid-connect/certs","audience":"orders","profile":"jwt","algorithms":["RS256"],"claims":{"clientId":"azp"},"maxTokenLifetimeSeconds":3600}]';

const isHttpUrl = (value: unknown): boolean => {
  if (typeof value !== 'string') return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
};

const isNonEmptyStringList = (value: unknown): value is string[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((item) => typeof item === 'string' && item !== '');

/**
 * `TRUSTED_ISSUERS`: token issuers besides the auth service (Keycloak, ...). Only the shape is
 * checked here, naming the entry; the guard checks the values (profiles, algorithms, URLs) at
 * start-up. Undefined when unset or empty.
 */
function trustedIssuers(
  raw: string | undefined,
  ours: string,
  fail: (name: string, expected: string) => never,
): TokenIssuerOptions[] | undefined {
  if (raw === undefined) return undefined;
  const wrong = (why: string): never =>
    fail('TRUSTED_ISSUERS', `${TRUSTED_ISSUERS_SHAPE} (${why})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return wrong('not JSON');
  }
  if (!Array.isArray(parsed)) return wrong('not an array');
  if (parsed.length === 0) return undefined;
  const seen = new Set([ours]);
  return parsed.map((entry: unknown, i): TokenIssuerOptions => {
    const at = `entry ${i}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return wrong(`${at} is not an object`);
    }
    const fields = entry as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((key) => !TRUSTED_ISSUER_KEYS.has(key));
    if (unknown.length > 0) return wrong(`${at} has unknown key(s) ${unknown.join(', ')}`);
    const { issuer, jwksUrl, audience, maxTokenLifetimeSeconds, clockToleranceSeconds } = fields;
    if (!isHttpUrl(issuer)) return wrong(`${at}: "issuer" must be an absolute http(s) URL`);
    if (seen.has(issuer as string)) {
      return wrong(`${at}: "issuer" ${String(issuer)} is AUTH_ISSUER or an earlier entry`);
    }
    seen.add(issuer as string);
    if (!isHttpUrl(jwksUrl)) return wrong(`${at}: "jwksUrl" must be an absolute http(s) URL`);
    if (!(typeof audience === 'string' && audience !== '') && !isNonEmptyStringList(audience)) {
      return wrong(`${at}: "audience" must be a string or a list of strings`);
    }
    if (fields.profile !== undefined && typeof fields.profile !== 'string') {
      return wrong(`${at}: "profile" must be "rfc9068" or "jwt"`);
    }
    if (fields.algorithms !== undefined && !isNonEmptyStringList(fields.algorithms)) {
      return wrong(`${at}: "algorithms" must be a list of JWS algorithms`);
    }
    if (
      fields.claims !== undefined &&
      (typeof fields.claims !== 'object' || fields.claims === null || Array.isArray(fields.claims))
    ) {
      return wrong(`${at}: "claims" must be an object such as {"clientId":"azp"}`);
    }
    if (
      maxTokenLifetimeSeconds !== undefined &&
      (!Number.isSafeInteger(maxTokenLifetimeSeconds) || (maxTokenLifetimeSeconds as number) < 1)
    ) {
      return wrong(`${at}: "maxTokenLifetimeSeconds" must be a positive integer`);
    }
    if (
      clockToleranceSeconds !== undefined &&
      (typeof clockToleranceSeconds !== 'number' || !(clockToleranceSeconds >= 0))
    ) {
      return wrong(`${at}: "clockToleranceSeconds" must be a non-negative number`);
    }
    // The guard validates the values themselves (profile names, algorithms, claim names).
    return fields as unknown as TokenIssuerOptions;
  });
}

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
  const jwksUrl = url('JWKS_URL', `${issuer}/.well-known/jwks.json`);
  const ours = {
    issuer,
    audience: text('AUTH_AUDIENCE') ?? 'tokenfence-services',
    jwksUrl,
    ...(maxTokenLifetimeSeconds !== undefined ? { maxTokenLifetimeSeconds } : {}),
  };
  const others = trustedIssuers(text('TRUSTED_ISSUERS'), issuer, fail);
  // Unset: the single-issuer form. Set: the auth service first, then these; its events either way.
  const issuers: Pick<RevocationGuardModuleOptions, 'issuers' | 'events'> | typeof ours = others
    ? { issuers: [ours, ...others], events: { issuer, jwksUrl } }
    : ours;
  return {
    host: text('HOST') ?? '127.0.0.1',
    port: int('PORT', 0, 65_535) ?? service.defaultPort,
    log: loadLogSettings(env, service.name),
    metricsBearerToken: service.metrics ? loadMetricsToken(env, service.name) : undefined,
    guard: {
      ...issuers,
      ...(maxStalenessMs !== undefined ? { maxStalenessMs } : {}),
      ...(denylistPruneIntervalMs !== undefined ? { denylistPruneIntervalMs } : {}),
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
