import type { JSONWebKeySet } from 'jose';
import type { KafkaConfig } from 'kafkajs';
import type { Clock } from '../core/clock.js';
import type { RevocationEventSource } from '../core/event-source.js';
import type { GuardMetricsOptions } from '../core/guard-metrics.js';
import type { IntrospectionOptions } from '../core/introspection-client.js';
import type { StalePolicy } from '../core/stale-policy.js';
import type { SupportedAlgorithm, TokenClaimNames, TokenProfile } from '../core/token-verifier.js';

/**
 * One token issuer the guard trusts: where its keys are, what its tokens must say. Given either
 * at the top level of {@link RevocationGuardModuleOptions} (the single-issuer form: that issuer
 * also signs the revocation events), or as one entry of its `issuers` list (several issuers; the
 * events' source is then `events`). `profile`, `claims` and `clockToleranceSeconds` are per-issuer
 * settings of the `issuers` form.
 */
export interface TokenIssuerOptions {
  /** Expected `iss`, exactly (the auth service's public base URL). */
  issuer: string;
  /** Accepted `aud` value(s); a token must carry at least one. */
  audience: string | string[];
  /**
   * The issuer's JWKS, e.g. `http://127.0.0.1:3000/.well-known/jwks.json`. Exactly one of
   * `jwksUrl` and `keys`.
   */
  jwksUrl?: string;
  /**
   * A local JWKS, `{ keys: JWK[] }`, in place of `jwksUrl` (tests, keys shipped with the app). In
   * the single-issuer form it must also hold the event keys (`kid` starting with `events-`) that
   * sign the revocation topic.
   */
  keys?: JSONWebKeySet;
  /**
   * The JWKS is refetched once it is this old; while refetches fail, the last good keys are
   * served. Default 600000, at least 1000.
   */
  jwksCacheMaxAgeMs?: number;
  /**
   * Lookups refetch the JWKS (unknown `kid`, old key set) at most this often; bounds what forged
   * kids cost. After a failed fetch every fetch backs off from this, doubling, up to a tenth of
   * `jwksCacheMaxAgeMs`, with up to 50% jitter. Default 5000, at least 1000.
   */
  jwksCooldownMs?: number;
  /** Accepted signature algorithms. Default `['ES256', 'EdDSA', 'RS256']`; HMAC and none are refused. */
  algorithms?: SupportedAlgorithm[];
  /**
   * Longest accepted `exp - iat` of an access token, in seconds; longer-lived tokens are refused
   * (`TOKEN_CLAIMS_INVALID`), so a stolen signing key cannot mint tokens that outlive revocations.
   * Default 86400.
   */
  maxTokenLifetimeSeconds?: number;
  /**
   * `issuers` form only. `rfc9068` (the default): header `typ: at+jwt`. `jwt`: header `typ`
   * absent or `JWT`, and a payload `typ`, when present, of `Bearer` (Keycloak's access tokens;
   * its ID and refresh tokens are refused), both case-insensitive.
   */
  profile?: TokenProfile;
  /**
   * `issuers` form only. Where the scopes and the client are: `scope: 'scope' | 'scp'` (default
   * `scope`; `scp` may be a string or an array of strings), `clientId: 'client_id' | 'azp'`
   * (default `client_id`).
   */
  claims?: TokenClaimNames;
  /** `issuers` form only: skew allowed on this issuer's `exp`, `nbf` and `iat`. Default the top-level one. */
  clockToleranceSeconds?: number;
}

/**
 * Where the revocation events come from, in the `issuers` form: the issuer whose event keys
 * (`kid` starting with `events-`) sign the revocation topic's SETs, and its JWKS. When
 * `jwksUrl` is a token issuer's too, the two share one JWKS cache (that issuer's settings).
 */
export interface RevocationEventsSourceOptions {
  /** The `iss` of the events (our auth service's public base URL). */
  issuer: string;
  /** Exactly one of `jwksUrl` and `keys`. */
  jwksUrl?: string;
  keys?: JSONWebKeySet;
  /** As {@link TokenIssuerOptions.jwksCacheMaxAgeMs}. */
  jwksCacheMaxAgeMs?: number;
  /** As {@link TokenIssuerOptions.jwksCooldownMs}. */
  jwksCooldownMs?: number;
}

/** The Kafka revocation topic. */
export interface KafkaSourceOptions {
  brokers: string[];
  /** Default `auth.revocations`. */
  topic?: string;
  /** Default `revocation-guard`; set it per service to tell them apart in Kafka tooling. */
  clientId?: string;
  /**
   * Each instance uses its own consumer group `<prefix>-<uuid>`. Default `revocation-guard`; set
   * it per service to tell them apart in Kafka tooling.
   */
  groupIdPrefix?: string;
  /** Extra kafkajs client settings (ssl, sasl, timeouts). */
  client?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator'>;
}

/** The microservice transports whose handlers the guard checks. */
export type RpcTransportName = 'kafka' | 'tcp';

/**
 * One incoming microservice message, as the token extractor sees it. Read-only: the guard hands
 * the handler the payload untouched.
 */
export interface RpcContextInfo {
  readonly transport: RpcTransportName;
  /**
   * `message` for a request the caller waits on (`@MessagePattern`, answered), `event` for
   * fire-and-forget (`@EventPattern`, or a Kafka message without a reply topic).
   */
  readonly kind: 'message' | 'event';
  /** The pattern (for Kafka, the topic). */
  readonly pattern: string;
  /** The deserialized payload (`@Payload()`). */
  readonly data: unknown;
  /**
   * Kafka: the message headers (a string, or a Buffer with a binary parser). TCP: the packet
   * metadata (`ClientProxy#setOnDispatchHook`), `{}` when the client sent none.
   */
  readonly headers: Readonly<Record<string, unknown>>;
  /** Kafka: the message timestamp in ms since the epoch (set by the producer). TCP: undefined. */
  readonly timestampMs: number | undefined;
  /** Nest's own context: a `KafkaContext` or a `TcpContext`. */
  readonly context: unknown;
}

/** Where the access token of a microservice message comes from, and when its expiry is checked. */
export interface MicroservicesOptions {
  /**
   * Returns the message's access token (the compact JWT, without `Bearer `), or undefined when it
   * has none (`TOKEN_MISSING`). Default {@link defaultRpcTokenExtractor}: Kafka, the
   * `authorization` header `Bearer <token>`; TCP, the `authorization` packet metadata, else an
   * `authorization` field of an object payload, `Bearer <token>`.
   */
  tokenExtractor?: (message: RpcContextInfo) => string | undefined;
  /**
   * When the token's `exp` (and `nbf`) is checked for a Kafka message: `now` (the default), or
   * `message-timestamp`: at the message's timestamp, trusted no further back than
   * `maxMessageAgeSeconds` and never ahead of now, so an event produced while its token was
   * valid is still handled after `exp`. Revocations apply either way, as the denylist is now.
   * TCP messages have no timestamp: always now.
   */
  checkExpiryAt?: 'now' | 'message-timestamp';
  /**
   * With `message-timestamp`: how far in the past a message timestamp is trusted, in seconds
   * (the producer sets it, so a holder of an expired token can use it this much longer). The
   * denylist keeps revocations this much longer too. At most 3600, the auth service's default
   * topic retention margin (`REVOCATION_RETENTION_MARGIN_SECONDS`), which must not be smaller.
   * Default 300.
   */
  maxMessageAgeSeconds?: number;
}

/**
 * Options of {@link RevocationGuardModule}. Libraries never read the environment: pass these.
 * The token issuers are given either in the single-issuer form (the fields of
 * {@link TokenIssuerOptions} at the top level, `issuer` and `audience` required; that issuer
 * signs the revocation events too), or as `issuers` with `events` (several issuers). Revocation
 * events come from `kafka`, or from `eventSource` when given.
 */
export interface RevocationGuardModuleOptions extends Omit<
  TokenIssuerOptions,
  'issuer' | 'audience' | 'profile' | 'claims' | 'clockToleranceSeconds'
> {
  /** Single-issuer form: expected `iss`, exactly. Required unless `issuers` is given. */
  issuer?: string;
  /** Single-issuer form: accepted `aud` value(s). Required unless `issuers` is given. */
  audience?: string | string[];
  /**
   * The token issuers the guard trusts (non-empty, each `issuer` once), in place of the
   * single-issuer fields; needs `events`. A token is verified under the pins of the issuer whose
   * JWKS holds its `kid`; revocations apply per issuer.
   */
  issuers?: TokenIssuerOptions[];
  /** With `issuers`: the source of the revocation events (issuer and event keys). */
  events?: RevocationEventsSourceOptions;
  /**
   * Allowed clock skew for `exp`/`iat` (the default of each issuer in `issuers`, and the events'),
   * and extra lifetime of denylist entries. Default 5.
   */
  clockToleranceSeconds?: number;
  /**
   * Verified tokens remembered (by exact token string, never past `exp`) so a repeat skips the
   * signature check; the denylist is still checked every time. Default 10000; 0 turns it off.
   */
  verifiedTokenCacheMaxEntries?: number;
  /** How often denylist entries that can no longer matter are dropped. Default 30000. */
  denylistPruneIntervalMs?: number;
  /** How old the last proof of freshness (auth-service heartbeat) may be. Default 30000. */
  maxStalenessMs?: number;
  /**
   * What to do beyond `maxStalenessMs`: `reject` (503, the default), `allow` (log and accept) or
   * `introspect` (ask the auth service per token, needs `introspection`).
   */
  stalePolicy?: StalePolicy;
  /**
   * Lets `jwksUrl` and `introspection.url` use plain `http:` to a host that is not a loopback
   * address (a private network you trust: keys and the introspection secret travel in clear).
   * Default false: `https:`, or `http:` to 127.0.0.0/8, `::1` or `localhost` only.
   */
  allowInsecureHttp?: boolean;
  /** RFC 7662 client settings, for the `introspect` stale policy. */
  introspection?: IntrospectionOptions;
  /**
   * Refusals as RFC 9457 `application/problem+json` (`type, title, status, detail, code`) instead
   * of `{statusCode, code, message, error}`. Default false.
   */
  problemDetails?: boolean;
  /**
   * Metadata keys of the app's own "public" decorator (e.g. `'isPublic'`, as the NestJS
   * authentication docs write `@Public()`): a handler or class whose value for one of them is
   * exactly `true` is open, as with our `@Public()`. Default none.
   */
  publicMetadataKeys?: (string | symbol)[];
  /** Microservice handlers (Kafka and TCP transports): token source and expiry rule. */
  microservices?: MicroservicesOptions;
  /**
   * `{ registry }`: the app's prom-client `Registry`; the guard's metrics join it, under the same
   * names as `RevocationMetrics.render()`. Without it, serve `render()` yourself.
   */
  metrics?: GuardMetricsOptions;
  /**
   * OpenTelemetry spans for applying revocation messages that carry a `traceparent` (one
   * CONSUMER span `process <topic>` each, child of the auth service's `send` span). Needs the
   * optional peer `@opentelemetry/api`, loaded only then, and an SDK registered by the app to
   * record anything. Default false: no span, no trace header read, nothing loaded.
   */
  tracing?: boolean;
  /** The revocation topic; required unless `eventSource` is given. */
  kafka?: KafkaSourceOptions;
  /** Replaces the Kafka source (another broker, or a test double); `kafka` is then not needed. */
  eventSource?: RevocationEventSource;
  clock?: Clock;
}

/** One token issuer, validated. */
export interface ResolvedIssuerOptions {
  readonly issuer: string;
  readonly audience: string[];
  /** Where the keys come from: a URL, or the local key set given as `keys`. */
  readonly jwksUrl: URL | undefined;
  readonly keys: JSONWebKeySet | undefined;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
  readonly algorithms: SupportedAlgorithm[];
  readonly clockToleranceSeconds: number;
  readonly maxTokenLifetimeSeconds: number;
  readonly profile: TokenProfile;
  readonly claims: Required<TokenClaimNames>;
}

/** The events' source, validated. */
export interface ResolvedEventsSource {
  readonly issuer: string;
  readonly jwksUrl: URL | undefined;
  readonly keys: JSONWebKeySet | undefined;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
}

export interface ResolvedGuardOptions {
  /** The token issuers: one in the single-issuer form. */
  readonly issuers: readonly ResolvedIssuerOptions[];
  /** The events' source: in the single-issuer form, that issuer and its JWKS. */
  readonly events: ResolvedEventsSource;
  /** The first token issuer's settings, as in the single-issuer form (the fields below too). */
  readonly issuer: string;
  readonly audience: string[];
  /** Where the keys come from: a URL, or the local key set given as `keys`. */
  readonly jwksUrl: URL | undefined;
  readonly keys: JSONWebKeySet | undefined;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
  readonly algorithms: SupportedAlgorithm[];
  readonly clockToleranceSeconds: number;
  readonly verifiedTokenCacheMaxEntries: number;
  readonly maxTokenLifetimeSeconds: number;
  readonly denylistPruneIntervalMs: number;
  readonly maxStalenessMs: number;
  readonly stalePolicy: StalePolicy;
  readonly problemDetails: boolean;
  readonly publicMetadataKeys: readonly (string | symbol)[];
  readonly tracing: boolean;
  readonly topic: string;
  readonly microservices: ResolvedMicroservicesOptions;
}

/** The resolved `microservices` options, injected into the guard. */
export const GUARD_MICROSERVICES_OPTIONS = Symbol('GUARD_MICROSERVICES_OPTIONS');

export interface ResolvedMicroservicesOptions {
  readonly tokenExtractor: ((message: RpcContextInfo) => string | undefined) | undefined;
  readonly checkExpiryAt: 'now' | 'message-timestamp';
  /** 0 with `checkExpiryAt: 'now'`. */
  readonly maxMessageAgeSeconds: number;
}
