import { DEFAULT_REVOCATION_TOPIC } from '@tokenfence/contract';
import type { JSONWebKeySet } from 'jose';
import {
  DEFAULT_JWKS_CACHE_MAX_AGE_MS,
  DEFAULT_JWKS_COOLDOWN_MS,
} from '../core/jwks-key-source.js';
import { rejectRenamedOptions } from '../core/renamed-options.js';
import { DEFAULT_DENYLIST_PRUNE_INTERVAL_MS } from '../core/revocation-feed.js';
import {
  CLIENT_ID_CLAIMS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  SUPPORTED_ALGORITHMS,
  TOKEN_PROFILES,
  type ClientIdClaim,
  type SupportedAlgorithm,
} from '../core/token-verifier.js';
import type {
  ResolvedEventsSource,
  ResolvedGuardOptions,
  ResolvedIssuerOptions,
  ResolvedMicroservicesOptions,
  RevocationEventsSourceOptions,
  RevocationGuardModuleOptions,
  TokenIssuerOptions,
} from './revocation-guard.options.js';

/** Default `microservices.maxMessageAgeSeconds`, and its upper bound. */
export const DEFAULT_MAX_MESSAGE_AGE_SECONDS = 300;
export const MAX_MESSAGE_AGE_LIMIT_SECONDS = 3_600;

const DEFAULT_ALGORITHMS: SupportedAlgorithm[] = ['ES256', 'EdDSA', 'RS256'];

/** Who is named in the errors: `RevocationGuardModule`, or `createRevocationGuard` in plain Node. */
let where = 'RevocationGuardModule';

function fail(message: string): never {
  throw new TypeError(`${where}: ${message}`);
}

/** An integer option of at least `min`, or its default when unset. */
function integerOption(name: string, value: number | undefined, fallback: number, min: number) {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min) {
    fail(`"${name}" must be an integer of at least ${min}`);
  }
  return resolved;
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the host. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/** `https:`; `http:` only to a loopback host, or when the application allows it explicitly. */
function requireSecure(url: URL, name: string, insecureHttp: boolean): void {
  // fetch's errors quote the URL: credentials in it would reach logs and the readiness report.
  if (url.username !== '' || url.password !== '') {
    fail(`"${name}" must not carry credentials (user:password@); the guard sends none`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (isLoopback(url.hostname) || insecureHttp)) return;
  fail(
    `"${name}" must be an https URL (http only to a loopback host, or with "allowInsecureHttp": true)`,
  );
}

/** Module options renamed in 2.0.0: an old name is refused, naming the new one. */
const RENAMED_OPTIONS = {
  verifiedTokenCacheSize: 'verifiedTokenCacheMaxEntries',
} as const;

/** A local JWKS: `{ keys: [...] }`, each key an object with a `kty`. */
function isKeySet(value: unknown): value is JSONWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  return (
    Array.isArray(keys) &&
    keys.length > 0 &&
    keys.every((k) => typeof (k as { kty?: unknown } | null)?.kty === 'string')
  );
}

/**
 * Validates the module options once, at start-up, and fails fast with what to set; `caller` is
 * named in the errors.
 */
export function resolveGuardOptions(
  options: RevocationGuardModuleOptions,
  caller = 'RevocationGuardModule',
): ResolvedGuardOptions {
  where = caller;
  rejectRenamedOptions(caller, options, RENAMED_OPTIONS);
  const insecureHttp = options?.allowInsecureHttp === true;
  const clockToleranceSeconds = options?.clockToleranceSeconds ?? 5;
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0) {
    fail('"clockToleranceSeconds" must be a non-negative number');
  }
  let issuers: ResolvedIssuerOptions[];
  let events: ResolvedEventsSource;
  if (options?.issuers === undefined) {
    if (options?.events !== undefined) {
      fail(
        '"events" goes with "issuers"; in the single-issuer form the events come from "issuer" and its keys',
      );
    }
    const perIssuer = ['profile', 'claims'].filter(
      (field) => (options as unknown as Record<string, unknown>)?.[field] !== undefined,
    );
    if (perIssuer.length > 0) {
      fail(`"${perIssuer.join('" and "')}" are settings of an entry of "issuers"`);
    }
    // One issuer, which signs the revocation events too, from the same keys.
    const single = resolveIssuer(options, '', insecureHttp, clockToleranceSeconds);
    issuers = [single];
    events = {
      issuer: single.issuer,
      jwksUrl: single.jwksUrl,
      keys: single.keys,
      jwksCacheMaxAgeMs: single.jwksCacheMaxAgeMs,
      jwksCooldownMs: single.jwksCooldownMs,
    };
  } else {
    const given = SINGLE_ISSUER_FIELDS.filter(
      (field) => (options as unknown as Record<string, unknown>)[field] !== undefined,
    );
    if (given.length > 0) {
      fail(
        `"issuers" and the single-issuer fields are mutually exclusive; move ${given.map((f) => `"${f}"`).join(', ')} into an entry of "issuers"`,
      );
    }
    if (!Array.isArray(options.issuers) || options.issuers.length === 0) {
      fail('"issuers" must be a non-empty list of token issuers ({ issuer, audience, jwksUrl })');
    }
    issuers = options.issuers.map((entry, i) =>
      resolveIssuer(entry, `issuers[${i}].`, insecureHttp, clockToleranceSeconds, true),
    );
    const seen = new Set<string>();
    for (const { issuer } of issuers) {
      if (seen.has(issuer)) fail(`"issuers" names "${issuer}" twice; give each issuer once`);
      seen.add(issuer);
    }
    if (options.events === undefined) {
      fail(
        'set "events" ({ issuer, jwksUrl or keys }): the issuer and JWKS of the revocation events',
      );
    }
    events = resolveEvents(options.events, insecureHttp);
  }
  const first = issuers[0];
  const cacheSize = options.verifiedTokenCacheMaxEntries ?? 10_000;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    fail('"verifiedTokenCacheMaxEntries" must be a non-negative integer (0 turns the cache off)');
  }
  const denylistPruneIntervalMs = integerOption(
    'denylistPruneIntervalMs',
    options.denylistPruneIntervalMs,
    DEFAULT_DENYLIST_PRUNE_INTERVAL_MS,
    100,
  );
  const maxStalenessMs = options.maxStalenessMs ?? 30_000;
  if (!Number.isFinite(maxStalenessMs) || maxStalenessMs < 1_000) {
    fail('"maxStalenessMs" must be at least 1000 (heartbeats come every second)');
  }
  const stalePolicy = options.stalePolicy ?? 'reject';
  if (stalePolicy !== 'reject' && stalePolicy !== 'allow' && stalePolicy !== 'introspect') {
    fail('"stalePolicy" must be "reject", "allow" or "introspect"');
  }
  const introspection = options.introspection;
  if (introspection !== undefined) {
    let url: URL;
    try {
      url = new URL(introspection.url);
    } catch {
      fail('"introspection.url" must be an absolute URL');
    }
    requireSecure(url, 'introspection.url', insecureHttp);
    if (!introspection.clientId || !introspection.clientSecret) {
      fail('"introspection" needs "clientId" and "clientSecret"');
    }
  } else if (stalePolicy === 'introspect') {
    fail('the "introspect" stale policy needs "introspection" (url, clientId, clientSecret)');
  }
  const publicMetadataKeys: unknown = options.publicMetadataKeys ?? [];
  if (
    !Array.isArray(publicMetadataKeys) ||
    publicMetadataKeys.some((key) => !(typeof key === 'symbol' || (typeof key === 'string' && key)))
  ) {
    fail('"publicMetadataKeys" must be a list of metadata keys (non-empty strings or symbols)');
  }
  const registry = options.metrics?.registry as Record<string, unknown> | undefined;
  if (
    registry !== undefined &&
    ['registerMetric', 'getSingleMetric', 'removeSingleMetric'].some(
      (method) => typeof registry?.[method] !== 'function',
    )
  ) {
    fail('"metrics.registry" must be a prom-client Registry');
  }
  if (options.tracing !== undefined && typeof options.tracing !== 'boolean') {
    fail('"tracing" must be true or false');
  }
  if (options.eventSource === undefined) {
    const brokers = options.kafka?.brokers;
    if (!Array.isArray(brokers) || brokers.length === 0 || brokers.some((b) => !b)) {
      fail('set "kafka.brokers", e.g. ["127.0.0.1:9092"], or give an "eventSource"');
    }
  }
  return {
    microservices: resolveMicroservices(options.microservices),
    issuers,
    events,
    issuer: first.issuer,
    audience: first.audience,
    jwksUrl: first.jwksUrl,
    keys: first.keys,
    jwksCacheMaxAgeMs: first.jwksCacheMaxAgeMs,
    jwksCooldownMs: first.jwksCooldownMs,
    algorithms: first.algorithms,
    clockToleranceSeconds,
    verifiedTokenCacheMaxEntries: cacheSize,
    maxTokenLifetimeSeconds: first.maxTokenLifetimeSeconds,
    denylistPruneIntervalMs,
    maxStalenessMs,
    stalePolicy,
    problemDetails: options.problemDetails === true,
    publicMetadataKeys: [...(publicMetadataKeys as (string | symbol)[])],
    tracing: options.tracing === true,
    topic: options.kafka?.topic ?? DEFAULT_REVOCATION_TOPIC,
  };
}

/** The fields of the single-issuer form, refused beside `issuers`. */
const SINGLE_ISSUER_FIELDS = [
  'issuer',
  'audience',
  'jwksUrl',
  'keys',
  'jwksCacheMaxAgeMs',
  'jwksCooldownMs',
  'algorithms',
  'maxTokenLifetimeSeconds',
] as const;
const ISSUER_KEYS = new Set<string>([
  ...SINGLE_ISSUER_FIELDS,
  'profile',
  'claims',
  'clockToleranceSeconds',
]);
const EVENTS_KEYS = new Set(['issuer', 'jwksUrl', 'keys', 'jwksCacheMaxAgeMs', 'jwksCooldownMs']);
const CLAIMS_KEYS = new Set(['scope', 'clientId']);

/** Refuses keys of an object literal that are not options (a typo would be ignored silently). */
function rejectUnknownKeys(value: object, known: ReadonlySet<string>, name: string): void {
  const unknown = Object.keys(value).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    fail(`"${name}" has unknown option(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  }
}

/** `jwksUrl` or `keys`, exactly one; a URL must be https (or http to loopback). */
function resolveKeyLocation(
  options: { jwksUrl?: string | undefined; keys?: unknown },
  at: string,
  insecureHttp: boolean,
): { jwksUrl: URL | undefined; keys: JSONWebKeySet | undefined } {
  if ((options.jwksUrl === undefined) === (options.keys === undefined)) {
    fail(
      `set exactly one of "${at}jwksUrl" (the issuer's JWKS URL) and "${at}keys" (a local JWKS)`,
    );
  }
  if (options.jwksUrl !== undefined) {
    let jwksUrl: URL;
    try {
      jwksUrl = new URL(options.jwksUrl);
    } catch {
      fail(`set "${at}jwksUrl" to an absolute http(s) URL`);
    }
    requireSecure(jwksUrl, `${at}jwksUrl`, insecureHttp);
    return { jwksUrl, keys: undefined };
  }
  if (!isKeySet(options.keys)) {
    fail(`"${at}keys" must be a JWKS, { keys: [ { kty, ... }, ... ] }, with at least one key`);
  }
  return { jwksUrl: undefined, keys: options.keys };
}

/**
 * One token issuer: the top-level fields (`at` empty), or an entry of `issuers` (`at` is
 * `issuers[i].`, and `entry` is true: profile, claims and a clock tolerance of its own allowed).
 */
function resolveIssuer(
  options: Partial<TokenIssuerOptions>,
  at: string,
  insecureHttp: boolean,
  defaultTolerance: number,
  entry = false,
): ResolvedIssuerOptions {
  if (entry) {
    if (typeof options !== 'object' || options === null)
      fail(`"${at.slice(0, -1)}" must be an object`);
    rejectUnknownKeys(options, ISSUER_KEYS, at.slice(0, -1));
  }
  if (typeof options?.issuer !== 'string' || options.issuer === '') fail(`set "${at}issuer"`);
  const audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audience) || audience.length === 0 || audience.some((a) => !a)) {
    fail(`set "${at}audience" to a non-empty string or array`);
  }
  const { jwksUrl, keys } = resolveKeyLocation(options, at, insecureHttp);
  const jwksCacheMaxAgeMs = integerOption(
    `${at}jwksCacheMaxAgeMs`,
    options.jwksCacheMaxAgeMs,
    DEFAULT_JWKS_CACHE_MAX_AGE_MS,
    1_000,
  );
  const jwksCooldownMs = integerOption(
    `${at}jwksCooldownMs`,
    options.jwksCooldownMs,
    DEFAULT_JWKS_COOLDOWN_MS,
    1_000,
  );
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  const unsupported = Array.isArray(algorithms)
    ? algorithms.filter((a) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(a))
    : [String(algorithms)];
  if (!Array.isArray(algorithms) || algorithms.length === 0 || unsupported.length > 0) {
    fail(
      `"${at}algorithms" must be asymmetric JWS algorithms; refused: ${unsupported.join(', ') || '(empty)'}`,
    );
  }
  const maxTokenLifetimeSeconds = integerOption(
    `${at}maxTokenLifetimeSeconds`,
    options.maxTokenLifetimeSeconds,
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    1,
  );
  const clockToleranceSeconds = options.clockToleranceSeconds ?? defaultTolerance;
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0) {
    fail(`"${at}clockToleranceSeconds" must be a non-negative number`);
  }
  const profile = options.profile ?? 'rfc9068';
  if (!TOKEN_PROFILES.includes(profile)) {
    fail(`"${at}profile" must be "rfc9068" (typ at+jwt, the default) or "jwt" (typ JWT)`);
  }
  const claims: unknown = options.claims ?? {};
  if (typeof claims !== 'object' || claims === null) fail(`"${at}claims" must be an object`);
  rejectUnknownKeys(claims, CLAIMS_KEYS, `${at}claims`);
  const { scope = 'scope', clientId = 'client_id' } = claims as Record<string, unknown>;
  if (scope !== 'scope' && scope !== 'scp') fail(`"${at}claims.scope" must be "scope" or "scp"`);
  if (!CLIENT_ID_CLAIMS.includes(clientId as ClientIdClaim)) {
    fail(
      `"${at}claims.clientId" must be one of ${CLIENT_ID_CLAIMS.map((c) => `"${c}"`).join(', ')}`,
    );
  }
  return {
    issuer: options.issuer,
    audience,
    jwksUrl,
    keys,
    jwksCacheMaxAgeMs,
    jwksCooldownMs,
    algorithms,
    clockToleranceSeconds,
    maxTokenLifetimeSeconds,
    profile,
    claims: { scope, clientId: clientId as ClientIdClaim },
  };
}

/** `events`, in the `issuers` form: the events' issuer and where its event keys are. */
function resolveEvents(
  options: RevocationEventsSourceOptions,
  insecureHttp: boolean,
): ResolvedEventsSource {
  if (typeof options !== 'object' || options === null) fail('"events" must be an object');
  rejectUnknownKeys(options, EVENTS_KEYS, 'events');
  if (typeof options.issuer !== 'string' || options.issuer === '') fail('set "events.issuer"');
  return {
    issuer: options.issuer,
    ...resolveKeyLocation(options, 'events.', insecureHttp),
    jwksCacheMaxAgeMs: integerOption(
      'events.jwksCacheMaxAgeMs',
      options.jwksCacheMaxAgeMs,
      DEFAULT_JWKS_CACHE_MAX_AGE_MS,
      1_000,
    ),
    jwksCooldownMs: integerOption(
      'events.jwksCooldownMs',
      options.jwksCooldownMs,
      DEFAULT_JWKS_COOLDOWN_MS,
      1_000,
    ),
  };
}

const MICROSERVICES_KEYS = new Set(['tokenExtractor', 'checkExpiryAt', 'maxMessageAgeSeconds']);

/** `microservices`: a token extractor function, the expiry rule and its bound. */
function resolveMicroservices(
  options: RevocationGuardModuleOptions['microservices'],
): ResolvedMicroservicesOptions {
  if (options === undefined) {
    return { tokenExtractor: undefined, checkExpiryAt: 'now', maxMessageAgeSeconds: 0 };
  }
  if (typeof options !== 'object' || options === null) fail('"microservices" must be an object');
  const unknown = Object.keys(options).filter((key) => !MICROSERVICES_KEYS.has(key));
  if (unknown.length > 0) {
    fail(
      `"microservices" has unknown option(s) ${unknown.join(', ')}; known: ${[...MICROSERVICES_KEYS].join(', ')}`,
    );
  }
  const { tokenExtractor, maxMessageAgeSeconds } = options;
  if (tokenExtractor !== undefined && typeof tokenExtractor !== 'function') {
    fail('"microservices.tokenExtractor" must be a function (message) => token | undefined');
  }
  const checkExpiryAt = options.checkExpiryAt ?? 'now';
  if (checkExpiryAt !== 'now' && checkExpiryAt !== 'message-timestamp') {
    fail('"microservices.checkExpiryAt" must be "now" or "message-timestamp"');
  }
  if (checkExpiryAt === 'now') {
    if (maxMessageAgeSeconds !== undefined) {
      fail(
        '"microservices.maxMessageAgeSeconds" applies only with checkExpiryAt: "message-timestamp"',
      );
    }
    return { tokenExtractor, checkExpiryAt, maxMessageAgeSeconds: 0 };
  }
  const age = maxMessageAgeSeconds ?? DEFAULT_MAX_MESSAGE_AGE_SECONDS;
  if (!Number.isSafeInteger(age) || age < 1 || age > MAX_MESSAGE_AGE_LIMIT_SECONDS) {
    fail(
      `"microservices.maxMessageAgeSeconds" must be an integer from 1 to ${MAX_MESSAGE_AGE_LIMIT_SECONDS}`,
    );
  }
  return { tokenExtractor, checkExpiryAt, maxMessageAgeSeconds: age };
}
