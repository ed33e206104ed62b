import { isIP } from 'node:net';
import { DEFAULT_REVOCATION_TOPIC } from '@tokenfence/contract';
import { loadLogSettings, loadMetricsToken, type LogSettings } from '@tokenfence/service-kit';
import type { LockoutPolicy } from '../lockout/lockout-policy.js';
import { SCOPE_TOKEN } from '../oauth/client-scopes.js';
import { parseIdentityProviders, type IdentityProvider } from '../signals/identity-providers.js';

/** Client id of the service's own login, always known, public unless configured otherwise. */
export const FIRST_PARTY_CLIENT_ID = 'tokenfence-first-party';

export type SigningAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

/** Routes with attempt limits. */
export type RateLimitedAction =
  'login' | 'register' | 'refresh' | 'token' | 'password' | 'revoke' | 'introspect' | 'signals';

export interface ActionLimits {
  readonly perIp: { readonly limit: number; readonly windowMs: number };
  /** Undefined for routes limited per client address only. */
  readonly perUsername?: { readonly limit: number; readonly windowMs: number };
}

/** An OAuth client: public (no secret) or confidential (SHA-256 of its secret, base64url). */
export interface OAuthClient {
  readonly clientId: string;
  readonly secretSha256: string | undefined;
  /**
   * The scopes tokens issued for this client may carry. `undefined` (the built-in first-party
   * client when it is not configured, or configured without `allowed_scopes`): every scope of
   * the user. Other clients without `allowed_scopes` may be issued none.
   */
  readonly allowedScopes: readonly string[] | undefined;
  /**
   * A confidential client that is a resource server for these audiences may introspect any
   * access token whose `aud` names one of them (RFC 7662). Every client may introspect the
   * tokens issued to it; no client those of another, refresh tokens included.
   */
  readonly introspectAudiences: readonly string[];
  /**
   * The OAuth grants it may use at `/oauth/token`. `authorization_code` needs `redirectUris`,
   * `client_credentials` a secret; `refresh_token` spends what a login or a code issued it.
   */
  readonly grantTypes: readonly OAuthGrantType[];
  /** Where `/oauth/authorize` may send its answer: compared exactly, as registered. */
  readonly redirectUris: readonly string[];
  /** A public client's browser origins, answered with CORS on the token and revocation endpoints. */
  readonly allowedOrigins: readonly string[];
  /** Shown on the hosted login page; the client id when not configured. */
  readonly name: string;
}

/** The grants of the token endpoint. */
export const OAUTH_GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
] as const;
export type OAuthGrantType = (typeof OAUTH_GRANT_TYPES)[number];

/**
 * `AUTH_MODE`. `full`: the service issues tokens to its own users and receives identity
 * providers' signals. `signals-hub`: a team whose users all sign in at their identity provider
 * runs it for the signals alone; every endpoint for local users answers 404 (see app.module).
 */
export const AUTH_MODES = ['full', 'signals-hub'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** The auth service's whole configuration, validated once at start-up. */
export interface AuthConfig {
  /** `AUTH_MODE`: `full` (default) or `signals-hub`. */
  readonly mode: AuthMode;
  readonly host: string;
  readonly port: number;
  /** `iss` of every token: the public base URL, no trailing slash. */
  readonly issuer: string;
  readonly audience: string;
  readonly signingAlgorithm: SigningAlgorithm;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /**
   * A rotated key is published this long before it signs, so every service can fetch it first
   * (the guard refetches the JWKS on an unknown kid at most every 5 s).
   */
  readonly keyActivationDelaySeconds: number;
  /**
   * How often the access-token key and the event key are rotated on a schedule (0: never). The
   * retired key stays published while anything it signed may still be checked: an access-token
   * lifetime for token keys, the topic's retention for event keys.
   */
  readonly tokenKeyRotationSeconds: number;
  readonly eventKeyRotationSeconds: number;
  /**
   * A refresh token spent less than this ago may be presented again (two tabs refreshing at
   * once) and yields the same new refresh token instead of counting as reuse. 0 turns it off.
   */
  readonly refreshGraceSeconds: number;
  /** Sliding sessions never outlive this, counted from the original login. */
  readonly sessionMaxAgeSeconds: number;
  /**
   * `BROWSER_SESSION_TTL_SECONDS`: how long a sign-in at the hosted login page (`/oauth/authorize`)
   * lets the same browser get codes without a password; never longer than the session maximum.
   */
  readonly browserSessionTtlSeconds: number;
  /** Scopes a newly registered user gets. */
  readonly defaultScope: string;
  /** A real PostgreSQL server when set; otherwise the embedded database in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Embedded database directory; `memory://` keeps it in memory (tests only). */
  readonly dataDir: string;
  readonly kafkaBrokers: string[];
  readonly revocationTopic: string;
  readonly topicPartitions: number;
  /** Topic retention beyond the longest access-token lifetime. */
  readonly topicRetentionMarginSeconds: number;
  readonly bodyLimitBytes: number;
  /**
   * Which peers are proxies whose `X-Forwarded-For` names the client (Express `trust proxy`):
   * none (`false`, the default: the client is the socket's peer), a hop count, or the proxies'
   * addresses and CIDRs (and Express's `loopback`, `linklocal`, `uniquelocal`). Never everyone.
   */
  readonly trustProxy: false | number | readonly string[];
  /** Clients that may call /oauth/revoke and /oauth/introspect, besides the first-party one. */
  readonly clients: readonly OAuthClient[];
  /** `IDENTITY_PROVIDERS`: whose signals revoke their own tokens (none by default). */
  readonly identityProviders: readonly IdentityProvider[];
  /** Attempts per minute, per client IP and per username. */
  readonly rateLimits: Readonly<Record<RateLimitedAction, ActionLimits>>;
  /** Progressive lockout of a username after consecutive failed logins. */
  readonly loginLockout: LockoutPolicy;
  /** The first admin, created at start-up when both are set and the user does not exist. */
  readonly admin: { readonly username: string; readonly password: string } | undefined;
  /** `LOG_LEVEL` and `LOG_FORMAT`. */
  readonly log: LogSettings;
  /** `METRICS_BEARER_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer <it>`. */
  readonly metricsBearerToken: string | undefined;
  /** `OPENAPI_DOCS`: `/docs` and `/docs-json` are served (`on`, the default) or not (`off`). */
  readonly openApiDocs: boolean;
  /**
   * `TRACING`: OpenTelemetry spans for revocations (record, outbox, publish) and the
   * `traceparent` header on the topic, through `@opentelemetry/api` and whatever SDK the process
   * registered. `off` by default; `OTEL_SDK_DISABLED=true` turns it off too.
   */
  readonly tracing: boolean;
}

/** `RATE_LIMIT_<ACTION>_PER_IP` and `..._PER_USERNAME`, attempts per minute. */
function limits(env: Env, action: string, perIp: number, perUsername: number): ActionLimits {
  const windowMs = 60_000;
  return {
    perIp: { limit: int(env, `RATE_LIMIT_${action}_PER_IP`, perIp, 1, 1_000_000), windowMs },
    perUsername: {
      limit: int(env, `RATE_LIMIT_${action}_PER_USERNAME`, perUsername, 1, 1_000_000),
      windowMs,
    },
  };
}

/** `RATE_LIMIT_<ACTION>_PER_IP`, attempts per minute, for routes limited per address only. */
function ipLimit(env: Env, action: string, perIp: number): ActionLimits {
  return {
    perIp: {
      limit: int(env, `RATE_LIMIT_${action}_PER_IP`, perIp, 1, 1_000_000),
      windowMs: 60_000,
    },
  };
}

/** `LOGIN_LOCKOUT_*`: after THRESHOLD failures, locks of BASE s doubling up to MAX s. */
function lockout(env: Env): LockoutPolicy {
  const baseSeconds = int(env, 'LOGIN_LOCKOUT_BASE_SECONDS', 1, 1, 3600);
  const maxSeconds = int(env, 'LOGIN_LOCKOUT_MAX_SECONDS', 900, baseSeconds, 86_400);
  return {
    threshold: int(env, 'LOGIN_LOCKOUT_THRESHOLD', 5, 1, 1000),
    baseMs: baseSeconds * 1000,
    maxMs: maxSeconds * 1000,
    resetMs: int(env, 'LOGIN_LOCKOUT_RESET_SECONDS', 86_400, maxSeconds, 30 * 86_400) * 1000,
  };
}

const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR (not /0) or one of Express's named ranges. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || address.includes('%') || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits >= 1 && bits <= (family === 4 ? 32 : 128);
}

/** `TRUST_PROXY`: off (default), a hop count, or the proxies' addresses; never "everyone". */
function parseTrustProxy(env: Env): AuthConfig['trustProxy'] {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  const expected =
    'a hop count (1 to 10) or a comma-separated list of proxy addresses or CIDRs ' +
    '(or loopback, linklocal, uniquelocal)';
  if (raw === 'true') {
    fail('TRUST_PROXY', `${expected}; "true" would believe any X-Forwarded-For a client sends`);
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) fail('TRUST_PROXY', `${expected} (got "${raw}")`);
    return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (!isProxyEntry(entry)) fail('TRUST_PROXY', `${expected} (got "${entry}")`);
  }
  return entries;
}

function parseAdmin(env: Env): AuthConfig['admin'] {
  const username = env.ADMIN_USERNAME;
  const password = env.ADMIN_PASSWORD;
  if (!username && !password) return undefined;
  if (!username || !/^[A-Za-z0-9._@-]{3,64}$/.test(username)) {
    fail('ADMIN_USERNAME', '3 to 64 letters, digits or . _ @ - (with ADMIN_PASSWORD)');
  }
  if (!password || password.length < 12) fail('ADMIN_PASSWORD', 'at least 12 characters');
  return { username, password };
}

/**
 * `OAUTH_CLIENTS`. `issuedAudiences`: the audiences this service's access tokens carry, the only
 * ones a resource server may name in `introspect_audiences` (another would be a typo that turns
 * its introspection into `{active: false}` for every token).
 */
function parseClients(raw: string | undefined, issuedAudiences: readonly string[]): OAuthClient[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('OAUTH_CLIENTS', 'a JSON array');
  }
  if (!Array.isArray(parsed)) fail('OAUTH_CLIENTS', 'a JSON array');
  return parsed.map((entry: unknown) => {
    const e = entry as Record<string, unknown>;
    if (typeof e?.client_id !== 'string' || !/^[\w.:-]{1,128}$/.test(e.client_id)) {
      fail('OAUTH_CLIENTS', 'entries with a "client_id" of letters, digits and . _ : -');
    }
    // A client's own tokens carry sub = client_id: never a user's id, nor its cutoff theirs.
    if (UUID.test(e.client_id)) fail('OAUTH_CLIENTS', '"client_id" values that are not UUIDs');
    const hash = e.client_secret_sha256;
    if (hash !== undefined && (typeof hash !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(hash))) {
      fail('OAUTH_CLIENTS', '"client_secret_sha256" values that are base64url SHA-256 digests');
    }
    const scopes = e.allowed_scopes;
    if (
      scopes !== undefined &&
      (!Array.isArray(scopes) ||
        !scopes.every((s): s is string => typeof s === 'string' && SCOPE_TOKEN.test(s)))
    ) {
      fail('OAUTH_CLIENTS', '"allowed_scopes" values that are arrays of RFC 6749 scope tokens');
    }
    const allowedScopes =
      scopes ?? (e.client_id === FIRST_PARTY_CLIENT_ID ? undefined : ([] as string[]));
    const audiences = e.introspect_audiences ?? [];
    if (
      !Array.isArray(audiences) ||
      !audiences.every((a): a is string => typeof a === 'string' && issuedAudiences.includes(a))
    ) {
      fail(
        'OAUTH_CLIENTS',
        `"introspect_audiences" values that are arrays of audiences this service issues (AUTH_AUDIENCE: ${issuedAudiences.join(', ')})`,
      );
    }
    if (audiences.length > 0 && hash === undefined) {
      fail('OAUTH_CLIENTS', '"introspect_audiences" only on confidential clients (with a secret)');
    }
    const redirectUris = stringList(e, 'redirect_uris', isRedirectUri, REDIRECT_URI_RULE);
    const allowedOrigins = stringList(
      e,
      'allowed_origins',
      isOrigin,
      'origins such as https://app.example.com',
    );
    if (allowedOrigins.length > 0 && hash !== undefined) {
      fail('OAUTH_CLIENTS', '"allowed_origins" only on public clients (a browser keeps no secret)');
    }
    const grantTypes = stringList(e, 'grant_types', isGrantType, OAUTH_GRANT_TYPES.join(', '));
    if (e.grant_types === undefined) {
      grantTypes.push(
        ...(redirectUris.length > 0 ? ['authorization_code' as const] : []),
        'refresh_token',
      );
    }
    if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
      fail('OAUTH_CLIENTS', '"redirect_uris" on clients with the authorization_code grant');
    }
    if (
      grantTypes.includes('client_credentials') &&
      (hash === undefined || allowedScopes === undefined)
    ) {
      fail(
        'OAUTH_CLIENTS',
        'the client_credentials grant only on confidential clients (with a secret) with "allowed_scopes"',
      );
    }
    const name = e.client_name ?? e.client_id;
    if (typeof name !== 'string' || !/^[\p{L}\p{N} ._'&()-]{1,64}$/u.test(name)) {
      fail(
        'OAUTH_CLIENTS',
        '"client_name" values of 1 to 64 letters, digits, spaces and . _ \' & ( ) -',
      );
    }
    return {
      clientId: e.client_id,
      secretSha256: hash,
      allowedScopes,
      introspectAudiences: audiences,
      grantTypes,
      redirectUris,
      allowedOrigins,
      name,
    };
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isGrantType = (value: string): value is OAuthGrantType =>
  (OAUTH_GRANT_TYPES as readonly string[]).includes(value);

const REDIRECT_URI_RULE =
  'absolute URIs without a fragment: https, http on a loopback host, or a private-use scheme with a dot (RFC 8252)';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * RFC 9700 section 2.1 and RFC 8252: https; http only on a loopback host (a native app or a
 * developer's machine); or a native app's private-use scheme in reverse domain order.
 */
function isRedirectUri(value: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return false;
  }
  if (value.includes('#') || value.length > 2000 || parsed.username || parsed.password)
    return false;
  if (parsed.protocol === 'https:') return parsed.hostname !== '';
  if (parsed.protocol === 'http:') return LOOPBACK_HOSTS.has(parsed.hostname);
  return /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(parsed.protocol);
}

/** A browser origin, exactly as a browser sends it in `Origin`. */
function isOrigin(value: string): boolean {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.origin === value;
  } catch {
    return false;
  }
}

/** An optional array of strings that each pass `valid`; empty when absent. */
function stringList<T extends string>(
  entry: Record<string, unknown>,
  key: string,
  valid: (value: string) => value is T,
  expected: string,
): T[];
function stringList(
  entry: Record<string, unknown>,
  key: string,
  valid: (value: string) => boolean,
  expected: string,
): string[];
function stringList(
  entry: Record<string, unknown>,
  key: string,
  valid: (value: string) => boolean,
  expected: string,
): string[] {
  const list = entry[key] ?? [];
  if (!Array.isArray(list) || !list.every((v): v is string => typeof v === 'string' && valid(v))) {
    fail('OAUTH_CLIENTS', `"${key}" values that are arrays of ${expected}`);
  }
  return [...new Set(list)];
}

type Env = Record<string, string | undefined>;

function fail(name: string, expected: string): never {
  throw new TypeError(`auth-service: environment variable ${name} must be ${expected}`);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(name, `an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

/** `OTEL_SDK_DISABLED`, the OpenTelemetry convention: `true` (any case) disables; else ignored. */
function sdkDisabled(env: Env): boolean {
  return (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true';
}

/** `on` or `off` (also `true`/`false`, `1`/`0`); `fallback` when unset. */
function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (raw === 'on' || raw === 'true' || raw === '1') return true;
  if (raw === 'off' || raw === 'false' || raw === '0') return false;
  fail(name, `on or off (got "${env[name]}")`);
}

/** A rotation period: 0 (never), or 60 s to ten years; 30 days by default. */
function rotation(env: Env, name: string): number {
  const seconds = int(env, name, 30 * 86_400, 0, 10 * 365 * 86_400);
  if (seconds > 0 && seconds < 60) fail(name, `0 (never) or at least 60 (got "${seconds}")`);
  return seconds;
}

function url(name: string, raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    fail(name, `an absolute URL (got "${raw}")`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(name, 'an http(s) URL');
  return raw.replace(/\/+$/, '');
}

/** `DATABASE_URL` or `DATA_DIR`: where the service's data is (also for the admin commands). */
export function loadDatabaseLocation(env: Env): Pick<AuthConfig, 'databaseUrl' | 'dataDir'> {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    fail('DATABASE_URL', 'a postgres:// URL');
  }
  return { databaseUrl, dataDir: env.DATA_DIR || 'data/auth-service' };
}

/** `AUTH_MODE`: `full` when unset. */
function parseMode(env: Env): AuthMode {
  const raw = (env.AUTH_MODE ?? '').trim();
  if (raw === '') return 'full';
  if (!(AUTH_MODES as readonly string[]).includes(raw)) {
    fail('AUTH_MODE', `${AUTH_MODES.join(' or ')} (got "${raw}")`);
  }
  return raw as AuthMode;
}

/**
 * A signals hub has no local users: it needs a provider to receive signals from, no first admin
 * user, and OAuth clients only for its client credentials grant (an operator's automation
 * calling the admin endpoints).
 */
function checkSignalsHub(
  config: Pick<AuthConfig, 'identityProviders' | 'admin' | 'clients'>,
): void {
  const hub = 'when AUTH_MODE is signals-hub';
  if (config.identityProviders.length === 0) {
    fail(
      'IDENTITY_PROVIDERS',
      `a JSON array of at least one identity provider ${hub} (a hub without one receives nothing)`,
    );
  }
  if (config.admin) {
    fail(
      'ADMIN_USERNAME',
      `unset ${hub}: a hub has no local users (give an OAuth client the "admin" scope instead)`,
    );
  }
  const userClient = config.clients.find((c) =>
    c.grantTypes.some((grant) => grant !== 'client_credentials'),
  );
  if (userClient) {
    fail(
      'OAUTH_CLIENTS',
      `entries with "grant_types": ["client_credentials"] only ${hub} (got "${userClient.clientId}")`,
    );
  }
}

/** Reads and validates the environment; throws a TypeError naming the variable to fix. */
export function loadAuthConfig(env: Env = process.env): AuthConfig {
  const mode = parseMode(env);
  const host = env.HOST || '127.0.0.1';
  const port = int(env, 'PORT', 3000, 0, 65535);
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) fail('KAFKA_BROKERS', 'a comma-separated list such as 127.0.0.1:9092');
  const algorithm = env.JWT_ALG || 'ES256';
  if (algorithm !== 'ES256' && algorithm !== 'EdDSA' && algorithm !== 'RS256') {
    fail('JWT_ALG', 'one of ES256, EdDSA, RS256');
  }
  const accessTokenTtlSeconds = int(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 10, 86_400);
  const refreshTokenTtlSeconds = int(
    env,
    'REFRESH_TOKEN_TTL_SECONDS',
    14 * 86_400,
    60,
    365 * 86_400,
  );
  if (refreshTokenTtlSeconds < accessTokenTtlSeconds) {
    fail('REFRESH_TOKEN_TTL_SECONDS', 'at least ACCESS_TOKEN_TTL_SECONDS');
  }
  const sessionMaxAgeSeconds = int(env, 'SESSION_MAX_AGE_SECONDS', 30 * 86_400, 1, 3650 * 86_400);
  const audience = env.AUTH_AUDIENCE || 'tokenfence-services';
  const issuer = url('AUTH_ISSUER', env.AUTH_ISSUER || `http://127.0.0.1:${port}`);
  const identityProviders = parseIdentityProviders(env.IDENTITY_PROVIDERS);
  if (identityProviders.some((p) => p.issuer === issuer)) {
    fail('IDENTITY_PROVIDERS', `entries whose "issuer" is not this service's (${issuer})`);
  }
  const config: AuthConfig = {
    mode,
    host,
    port,
    issuer,
    audience,
    signingAlgorithm: algorithm,
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds,
    sessionMaxAgeSeconds,
    browserSessionTtlSeconds: Math.min(
      int(env, 'BROWSER_SESSION_TTL_SECONDS', 86_400, 60, 365 * 86_400),
      sessionMaxAgeSeconds,
    ),
    refreshGraceSeconds: int(env, 'REFRESH_GRACE_SECONDS', 10, 0, 300),
    keyActivationDelaySeconds: int(env, 'KEY_ACTIVATION_DELAY_SECONDS', 10, 6, 86_400),
    tokenKeyRotationSeconds: rotation(env, 'TOKEN_KEY_ROTATION_SECONDS'),
    eventKeyRotationSeconds: rotation(env, 'EVENT_KEY_ROTATION_SECONDS'),
    defaultScope: env.DEFAULT_SCOPE ?? 'profile orders:read game:play',
    ...loadDatabaseLocation(env),
    kafkaBrokers: brokers,
    revocationTopic: env.REVOCATION_TOPIC || DEFAULT_REVOCATION_TOPIC,
    topicPartitions: int(env, 'REVOCATION_TOPIC_PARTITIONS', 3, 1, 1000),
    topicRetentionMarginSeconds: int(
      env,
      'REVOCATION_RETENTION_MARGIN_SECONDS',
      3600,
      0,
      30 * 86_400,
    ),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 16 * 1024, 1024, 1024 * 1024),
    trustProxy: parseTrustProxy(env),
    clients: parseClients(env.OAUTH_CLIENTS, [audience]),
    identityProviders,
    rateLimits: {
      login: limits(env, 'LOGIN', 60, 10),
      register: limits(env, 'REGISTER', 20, 5),
      refresh: limits(env, 'REFRESH', 120, 60),
      // Per address, and per user for the refresh_token grant (as `refresh`).
      token: limits(env, 'TOKEN', 300, 60),
      password: limits(env, 'PASSWORD', 20, 5),
      revoke: ipLimit(env, 'REVOKE', 120),
      introspect: ipLimit(env, 'INTROSPECT', 1200),
      // Per address: a provider's back-channel logouts and pushed security events.
      signals: ipLimit(env, 'SIGNALS', 1200),
    },
    loginLockout: lockout(env),
    admin: parseAdmin(env),
    log: loadLogSettings(env, 'auth-service'),
    metricsBearerToken: loadMetricsToken(env, 'auth-service'),
    openApiDocs: onOff(env, 'OPENAPI_DOCS', true),
    tracing: onOff(env, 'TRACING', false) && !sdkDisabled(env),
  };
  if (mode === 'signals-hub') checkSignalsHub(config);
  return config;
}

/**
 * The longest lifetime of any access token a revocation on the topic can cover, in seconds: this
 * service's and every identity provider's (plus its clock skew). Sets the topic's retention, with
 * `topicRetentionMarginSeconds`.
 */
export function longestTokenLifetimeSeconds(
  config: Pick<AuthConfig, 'accessTokenTtlSeconds' | 'identityProviders'>,
): number {
  return Math.max(
    config.accessTokenTtlSeconds,
    ...config.identityProviders.map((p) => p.maxTokenLifetimeSeconds + p.clockSkewSeconds),
  );
}

/** Injection token of {@link AuthConfig}. */
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
