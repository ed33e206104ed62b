import { isIP } from 'node:net';

/** Asymmetric JWS algorithms a provider may sign signals with; HMAC and `none` never. */
export const SIGNAL_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type SignalAlgorithm = (typeof SIGNAL_ALGORITHMS)[number];

/** OIDC Back-Channel Logout 1.0 at one provider: the clients its logout tokens are addressed to. */
export interface BackChannelLogoutSettings {
  /** Accepted `aud` values: the client ids registered at the provider with our logout URL. */
  readonly audiences: readonly string[];
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
    };
  });
  for (const key of ['id', 'issuer'] as const) {
    if (new Set(providers.map((p) => p[key])).size !== providers.length) {
      fail(`entries with distinct "${key}" values`);
    }
  }
  return providers;
}
