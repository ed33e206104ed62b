import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { EVENT_KEY_ID_PREFIX, type RevocationScope } from '@tokenfence/contract';
import type { RevocableClaims } from './denylist.js';
import { GuardError, tokenRevoked } from './guard-error.js';
import { guardedKeys, KeySourceFailure } from './key-source.js';
import { rejectRenamedOptions } from './renamed-options.js';
import type { Principal } from './principal.js';
import { systemClock, type Clock } from './clock.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** Asymmetric algorithms the verifier accepts; HMAC and `none` are never allowed. */
export const SUPPORTED_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const;
export type SupportedAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** What the verifier consults before it trusts a token: the guard's denylist. */
export interface RevocationCheck {
  /** The scope under which these claims are revoked, or undefined when they are not. */
  check(claims: RevocableClaims): RevocationScope | undefined;
  /** Whether `iss`'s signing key `kid` was revoked; consulted before any key source. */
  isKeyRevoked(iss: string, kid: string): boolean;
}

export interface TokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  readonly algorithms: readonly SupportedAlgorithm[];
  readonly clockToleranceSeconds: number;
  /** Where keys come from: jose's `createRemoteJWKSet(...)` or `createLocalJWKSet(...)`. */
  readonly keys: JWTVerifyGetKey;
  /**
   * Longest accepted `exp - iat`, in seconds: a stolen signing key cannot mint tokens that live
   * longer. Default 86400 (the auth service's longest access-token TTL).
   */
  readonly maxTokenLifetimeSeconds?: number;
  /** Longest accepted compact token, in characters. */
  readonly maxTokenLength?: number;
  readonly clock?: Clock;
  /** Verified tokens remembered (LRU) to skip signature checks; 0 (the default) turns it off. */
  readonly verifiedTokenCacheMaxEntries?: number;
  /**
   * Checked on every verification, cache hit or not, and before a token enters the cache: a
   * revoked token is refused with `TOKEN_REVOKED` and never cached. A revoked signing key is
   * checked first, before the cache and the key source (whose copy of the JWKS may still hold it).
   */
  readonly revocations?: RevocationCheck;
}

/** Per-call settings of {@link TokenVerifier.verify}. */
export interface VerifyOptions {
  /** Checks `exp` and `nbf` at this time (ms) when it is earlier than now. */
  readonly expiryAtMs?: number;
}

const DEFAULT_MAX_TOKEN_LENGTH = 8192;
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies RFC 9068 access tokens locally: signature, pinned algorithms, issuer, audience,
 * `typ: at+jwt`, expiry with a clock tolerance, and the claims revocation needs.
 */
export class TokenVerifier {
  private readonly verifyOptions: JWTVerifyOptions;
  private readonly maxTokenLength: number;
  private readonly keys: JWTVerifyGetKey;
  private readonly cache: VerifiedTokenCache | undefined;
  private readonly clock: Clock;

  constructor(private readonly options: TokenVerifierOptions) {
    rejectRenamedOptions('TokenVerifier', options, {
      cacheMaxEntries: 'verifiedTokenCacheMaxEntries',
    });
    const keys = guardedKeys(options.keys, (kid) => !kid.startsWith(EVENT_KEY_ID_PREFIX));
    const { revocations, issuer } = options;
    // A revoked key is refused before any key source is asked (its JWKS copy may still hold
    // it), on the header jose has already decoded: no second decoding per token.
    this.keys = revocations
      ? (header, token) => {
          // The header comes before the payload is trusted: the key asked about is the one of
          // the issuer this verifier accepts (the payload's iss must equal it).
          if (header.kid !== undefined && revocations.isKeyRevoked(issuer, header.kid)) {
            throw tokenRevoked('key');
          }
          return keys(header, token);
        }
      : keys;
    this.maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    this.clock = options.clock ?? systemClock;
    const cacheMaxEntries = options.verifiedTokenCacheMaxEntries ?? 0;
    this.cache =
      cacheMaxEntries > 0 ? new VerifiedTokenCache(cacheMaxEntries, this.clock) : undefined;
    this.verifyOptions = {
      issuer: options.issuer,
      audience: [...(typeof options.audience === 'string' ? [options.audience] : options.audience)],
      algorithms: [...options.algorithms],
      typ: 'at+jwt',
      clockTolerance: options.clockToleranceSeconds,
      // iss and aud are required by the issuer and audience options; toPrincipal requires the
      // rest (cheaper than jose's requiredClaims, which costs microseconds per call).
    };
  }

  /**
   * Verifies `token`. `expiryAtMs` moves the `exp` and `nbf` checks to that earlier time (a
   * message's timestamp, already bounded by the caller); everything else, revocations included,
   * is checked now. Undefined or later than now: now.
   */
  async verify(token: string, { expiryAtMs }: VerifyOptions = {}): Promise<Principal> {
    const atMs =
      expiryAtMs !== undefined && expiryAtMs < this.clock.nowMs() ? expiryAtMs : undefined;
    const cached = this.cache?.get(token);
    // A cached token is unexpired now, so at any earlier time too; only its nbf may be later.
    if (cached !== undefined && (atMs === undefined || this.activeAt(cached, atMs))) {
      return this.unlessRevoked(cached);
    }
    if (token.length > this.maxTokenLength || !COMPACT_JWS.test(token)) {
      throw new GuardError('TOKEN_MALFORMED', 'The access token is not a compact JWS.');
    }
    let payload: JWTPayload;
    let kid: string | undefined;
    try {
      const options =
        atMs !== undefined
          ? { ...this.verifyOptions, currentDate: new Date(atMs) }
          : this.options.clock
            ? { ...this.verifyOptions, currentDate: new Date(this.clock.nowMs()) }
            : this.verifyOptions;
      ({
        payload,
        protectedHeader: { kid },
      } = await jwtVerify(token, this.keys, options));
    } catch (err) {
      throw toGuardError(err, token);
    }
    const principal = this.unlessRevoked(this.withinLifetime(toPrincipal(payload, kid ?? '')));
    // Only tokens valid now are cached (the cache never serves one past its exp).
    if (atMs === undefined || principal.exp * 1000 > this.clock.nowMs()) {
      this.cache?.set(token, principal);
    }
    return principal;
  }

  /** Whether a cached principal's `nbf`, if any, had passed at `atMs` (with the tolerance). */
  private activeAt(principal: Principal, atMs: number): boolean {
    const nbf = principal.claims.nbf;
    return typeof nbf !== 'number' || nbf <= atMs / 1000 + this.options.clockToleranceSeconds;
  }

  /** jose checks `iat` only against a max token age; an issue date ahead of now is refused here. */
  private withinLifetime(principal: Principal): Principal {
    const nowSeconds = this.clock.nowMs() / 1000;
    if (principal.iat > nowSeconds + this.options.clockToleranceSeconds) {
      throw new GuardError(
        'TOKEN_CLAIMS_INVALID',
        'The access token\'s "iat" claim is in the future.',
      );
    }
    const maxLifetime = this.options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    if (principal.exp - principal.iat > maxLifetime) {
      throw new GuardError(
        'TOKEN_CLAIMS_INVALID',
        `The access token's "exp" claim is more than ${maxLifetime} s after its "iat".`,
      );
    }
    return principal;
  }

  private unlessRevoked(principal: Principal): Principal {
    const scope = this.options.revocations?.check(principal);
    if (scope !== undefined) throw tokenRevoked(scope);
    return principal;
  }

  /** Whether {@link verify} also refuses revoked tokens (it was given `revocations`). */
  get checksRevocations(): boolean {
    return this.options.revocations !== undefined;
  }

  /** Forgets cached verifications of tokens signed with `kid` (for a revoked signing key). */
  forgetKey(kid: string): void {
    this.cache?.dropKey(kid);
  }
}

const nonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value !== '';

/** An optional claim: absent, or a non-empty string (the denylist keys it). */
const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || nonEmptyString(value);

function toPrincipal(payload: JWTPayload, kid: string): Principal {
  const { iss, sub, jti, iat, exp } = payload;
  const sid = payload.sid;
  const clientId = payload.client_id;
  const scope = payload.scope ?? '';
  // Strings, not just truthy: the denylist keys issuers, users, sessions and tokens by string.
  // `sid` and `jti` may be absent (a token without them escapes only session and token
  // revocations, which cannot name it); present, they must be usable keys.
  if (
    !nonEmptyString(iss) ||
    !nonEmptyString(sub) ||
    !optionalString(jti) ||
    !optionalString(sid) ||
    !optionalString(clientId) ||
    typeof scope !== 'string'
  ) {
    throw new GuardError(
      'TOKEN_CLAIMS_INVALID',
      "The access token's iss, sub, sid, jti or client_id is missing or not a non-empty string.",
    );
  }
  if (typeof iat !== 'number' || typeof exp !== 'number') {
    throw new GuardError('TOKEN_CLAIMS_INVALID', 'The access token lacks iat or exp.');
  }
  return {
    iss,
    sub,
    ...(sid === undefined ? {} : { sid }),
    ...(jti === undefined ? {} : { jti }),
    ...(clientId === undefined ? {} : { clientId }),
    kind: sid === undefined && clientId !== undefined && sub === clientId ? 'client' : 'user',
    scopes: scope.split(' ').filter((s) => s !== ''),
    iat,
    exp,
    kid,
    claims: payload,
  };
}

/** Whether the token's protected header lists critical extensions (RFC 7515 §4.1.11). */
function hasCriticalExtensions(token: string): boolean {
  try {
    return decodeProtectedHeader(token).crit !== undefined;
  } catch {
    return false;
  }
}

function toGuardError(err: unknown, token: string): GuardError {
  if (err instanceof GuardError) return err; // from the key resolver: a revoked key
  if (err instanceof errors.JWTExpired) {
    return new GuardError('TOKEN_EXPIRED', 'The access token has expired.');
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new GuardError(
      'TOKEN_CLAIMS_INVALID',
      `The access token's "${err.claim}" claim is not accepted.`,
    );
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new GuardError('TOKEN_SIGNATURE_INVALID', 'The access token signature is invalid.');
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new GuardError('TOKEN_SIGNATURE_INVALID', 'No trusted key matches the access token.');
  }
  if (err instanceof errors.JOSENotSupported && hasCriticalExtensions(token)) {
    // jose refuses unknown "crit" extensions with the same error as an unknown algorithm.
    return new GuardError(
      'TOKEN_MALFORMED',
      'The access token\'s "crit" header names an extension this verifier does not support.',
    );
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new GuardError('TOKEN_SIGNATURE_INVALID', 'The access token algorithm is not accepted.');
  }
  if (err instanceof KeySourceFailure) {
    return new GuardError('SIGNING_KEYS_UNAVAILABLE', 'The signing keys cannot be loaded.');
  }
  return new GuardError('TOKEN_MALFORMED', 'The access token is malformed.');
}
