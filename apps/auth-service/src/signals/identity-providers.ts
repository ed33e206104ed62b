import { isIP } from 'node:net';
import { SUPPORTED_ALGORITHMS, type SupportedAlgorithm } from '@tokenfence/revocation-guard';

/**
 * Asymmetric JWS algorithms a provider may sign signals with, HMAC and `none` never: the ones the
 * guard verifies tokens with, so a provider's signals and its tokens are held to the same list.
 */
export const SIGNAL_ALGORITHMS = SUPPORTED_ALGORITHMS;
export type SignalAlgorithm = SupportedAlgorithm;

/** OIDC Back-Channel Logout 1.0 at one provider: the clients its logout tokens are addressed to. */
export interface BackChannelLogoutSettings {
  /** Accepted `aud` values: the client ids registered at the provider with our logout URL. */
  readonly audiences: readonly string[];
}

/** What an `opaque` subject of a security event names at this provider (a per-provider rule). */
export type OpaqueSubjectRule = 'sub' | 'sid' | 'ignore';

/**
 * OpenID Shared Signals Framework 1.0 with this provider as transmitter and us as receiver: the
 * stream we set up at its configuration endpoint, with a client-credentials token of our
 * receiver client there.
 */
export interface SharedSignalsSettings {
  /** RFC 8935 (it posts to `/signals/<id>/ssf`) or RFC 8936 (we poll it). */
  readonly delivery: 'push' | 'poll';
  readonly clientId: string;
  readonly clientSecret: string;
  /** Asked for with the client-credentials token (Keycloak: `ssf.read ssf.manage`). */
  readonly scope: string | undefined;
  /** Its SSF configuration document; default: discovered from the issuer (SSF 1.0 section 7.2.1). */
  readonly configurationUrl: string | undefined;
  /** Its token endpoint; default: its OpenID configuration's `token_endpoint`. */
  readonly tokenEndpoint: string | undefined;
  readonly opaqueSubjects: OpaqueSubjectRule;
  /** Poll delivery: how long to wait between polls that brought nothing, in ms. */
  readonly pollIntervalMs: number;
}

/**
 * An identity provider whose signals (logout tokens, security event tokens) become revocations
 * of its own access tokens, on the topic, under its `iss`. From `IDENTITY_PROVIDERS`.
 */
export interface IdentityProvider {
  /** The path segment of its endpoints: `/signals/<id>/...`. */
  readonly id: string;
  /** Its `iss`, exactly as its tokens carry it. */
  readonly issuer: string;
  /** Where its signing keys are (its OpenID configuration's `jwks_uri`). */
  readonly jwksUri: string;
  readonly algorithms: readonly SignalAlgorithm[];
  /**
   * The longest lifetime of its access tokens, in seconds: how long its revocations are kept on
   * the topic and in every guard (a revocation outlives every token it can cover).
   */
  readonly maxTokenLifetimeSeconds: number;
  /** Allowed clock difference with the provider, in seconds, for `iat` and `exp`. */
  readonly clockSkewSeconds: number;
  /**
   * Whether its access tokens carry `sid`. Without it, a session's end cannot be told apart from
   * the user's other sessions: a signal naming a session and its user revokes all the user's
   * tokens, and one naming only a session is refused (it could revoke nothing).
   */
  readonly accessTokensCarrySid: boolean;
  readonly backChannelLogout: BackChannelLogoutSettings | undefined;
  readonly sharedSignals: SharedSignalsSettings | undefined;
}

const VARIABLE = 'IDENTITY_PROVIDERS';

function fail(expected: string): never {
  throw new TypeError(`auth-service: environment variable ${VARIABLE} must be ${expected}`);
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** https, or http to a loopback host (a provider on the same machine, tests). */
function isKeyUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false;
  if (url.protocol === 'https:') return true;
  const host = url.hostname;
  return (
    url.protocol === 'http:' &&
    (LOOPBACK_HOSTS.has(host) || (isIP(host) === 4 && host.startsWith('127.')))
  );
}

function isIssuer(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 512) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hash === '';
  } catch {
    return false;
  }
}

function integer(
  e: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = e[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`entries whose "${key}" is an integer between ${min} and ${max}`);
  }
  return value;
}

function parseBackChannelLogout(value: unknown): BackChannelLogoutSettings | undefined {
  if (value === undefined) return undefined;
  const audiences = (value as Record<string, unknown> | null)?.audiences;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((a): a is string => typeof a === 'string' && a !== '' && a.length <= 256)
  ) {
    fail(
      'entries whose "backchannel_logout" is {"audiences": [the client ids of its logout tokens]}',
    );
  }
  return { audiences: [...new Set(audiences)] };
}

function optionalUrl(e: Record<string, unknown>, key: string): string | undefined {
  const value = e[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !isKeyUrl(value)) {
    fail(`entries whose "ssf.${key}" is https, or http to a loopback host`);
  }
  return value;
}

function parseSharedSignals(value: unknown): SharedSignalsSettings | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('entries whose "ssf" is an object');
  }
  const e = value as Record<string, unknown>;
  if (e.delivery !== 'push' && e.delivery !== 'poll') {
    fail('entries whose "ssf.delivery" is "push" or "poll"');
  }
  if (typeof e.client_id !== 'string' || e.client_id === '' || e.client_id.length > 256) {
    fail('entries with an "ssf.client_id" (our receiver client at the provider)');
  }
  if (typeof e.client_secret !== 'string' || e.client_secret === '') {
    fail('entries with an "ssf.client_secret"');
  }
  if (
    e.scope !== undefined &&
    (typeof e.scope !== 'string' ||
      !/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(e.scope))
  ) {
    fail('entries whose "ssf.scope" is an RFC 6749 scope');
  }
  const opaque = e.opaque_subjects ?? 'ignore';
  if (opaque !== 'sub' && opaque !== 'sid' && opaque !== 'ignore') {
    fail('entries whose "ssf.opaque_subjects" is "sub", "sid" or "ignore"');
  }
  return {
    delivery: e.delivery,
    clientId: e.client_id,
    clientSecret: e.client_secret,
    scope: e.scope,
    configurationUrl: optionalUrl(e, 'configuration_url'),
    tokenEndpoint: optionalUrl(e, 'token_endpoint'),
    opaqueSubjects: opaque,
    pollIntervalMs: integer(e, 'poll_interval_ms', 1000, 100, 60_000),
  };
}

/** `IDENTITY_PROVIDERS`: a JSON array; unset or empty, no provider (the service as before). */
export function parseIdentityProviders(raw: string | undefined): IdentityProvider[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('a JSON array');
  }
  if (!Array.isArray(parsed)) fail('a JSON array');
  const providers = parsed.map((entry: unknown): IdentityProvider => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      fail('an array of objects');
    }
    const e = entry as Record<string, unknown>;
    if (typeof e.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(e.id)) {
      fail('entries with an "id" of 1 to 32 lower-case letters, digits and -');
    }
    if (!isIssuer(e.issuer)) fail('entries with an "issuer" that is an http(s) URL');
    if (typeof e.jwks_uri !== 'string' || !isKeyUrl(e.jwks_uri)) {
      fail('entries with a "jwks_uri" that is https, or http to a loopback host');
    }
    const algorithms = e.algorithms ?? ['RS256'];
    if (
      !Array.isArray(algorithms) ||
      algorithms.length === 0 ||
      !algorithms.every((a): a is SignalAlgorithm =>
        (SIGNAL_ALGORITHMS as readonly unknown[]).includes(a),
      )
    ) {
      fail(`entries whose "algorithms" lists some of ${SIGNAL_ALGORITHMS.join(', ')}`);
    }
    const carrySid = e.access_tokens_carry_sid ?? true;
    if (typeof carrySid !== 'boolean') {
      fail('entries whose "access_tokens_carry_sid" is true or false');
    }
    return {
      id: e.id,
      issuer: e.issuer,
      jwksUri: e.jwks_uri,
      algorithms: [...new Set(algorithms)],
      maxTokenLifetimeSeconds: integer(e, 'max_token_lifetime_seconds', 86_400, 60, 7 * 86_400),
      clockSkewSeconds: integer(e, 'clock_skew_seconds', 60, 0, 600),
      accessTokensCarrySid: carrySid,
      backChannelLogout: parseBackChannelLogout(e.backchannel_logout),
      sharedSignals: parseSharedSignals(e.ssf),
    };
  });
  for (const key of ['id', 'issuer'] as const) {
    if (new Set(providers.map((p) => p[key])).size !== providers.length) {
      fail(`entries with distinct "${key}" values`);
    }
  }
  return providers;
}
