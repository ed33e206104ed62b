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

/**
 * The token profile an issuer follows: `rfc9068` (header `typ: at+jwt`, RFC 9068, the default)
 * or `jwt` (header `typ` absent or `JWT`, and a payload `typ`, when present, of `Bearer`: how
 * Keycloak signs its access tokens; its ID and refresh tokens say `ID` and `Refresh`).
 */
export type TokenProfile = 'rfc9068' | 'jwt';
export const TOKEN_PROFILES: readonly TokenProfile[] = ['rfc9068', 'jwt'];

/** Where an issuer puts the claims that providers name differently. */
export interface TokenClaimNames {
  /**
   * `scope` (a space-separated string, the default) or `scp` (a space-separated string or an
   * array of strings, as Okta and Entra ID write it).
   */
  readonly scope?: 'scope' | 'scp';
  /**
   * `client_id` (RFC 9068, the default), `azp` (OpenID Connect: Keycloak, Entra ID v2.0 tokens),
   * `cid` (Okta) or `appid` (Entra ID v1.0 tokens).
   */
  readonly clientId?: ClientIdClaim;
}

/** The claims an issuer may carry the client's id in. */
export type ClientIdClaim = 'client_id' | 'azp' | 'cid' | 'appid';
export const CLIENT_ID_CLAIMS: readonly ClientIdClaim[] = ['client_id', 'azp', 'cid', 'appid'];

/** What a token's `kid` is looked up in to choose its issuer (a `JwksKeySource`). */
export interface TokenKeyLookup {
  /** Whether the current key set holds `kid`. */
  has(kid: string): boolean;
  /** Fetches the key set unless one was fetched within the cooldown; never rejects. */
  refresh(): Promise<void>;
}

/** What the verifier pins for one issuer. */
export interface TokenIssuerVerification {
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
  /** Default `rfc9068`. */
  readonly profile?: TokenProfile;
  /** Default `{ scope: 'scope', clientId: 'client_id' }`. */
  readonly claims?: TokenClaimNames;
}

interface SharedVerifierOptions {
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

/** One issuer: the single-issuer form. */
export interface TokenVerifierOptions extends TokenIssuerVerification, SharedVerifierOptions {}

/**
 * Several issuers, each verified under its own pins, with one verified-token cache. A token's
 * issuer is the one whose key source holds the `kid` of its header; see {@link TokenVerifier}.
 */
export interface MultiIssuerTokenVerifierOptions extends SharedVerifierOptions {
  readonly issuers: readonly (TokenIssuerVerification & { readonly keySource: TokenKeyLookup })[];
}

/** Per-call settings of {@link TokenVerifier.verify}. */
export interface VerifyOptions {
  /** Checks `exp` and `nbf` at this time (ms) when it is earlier than now. */
  readonly expiryAtMs?: number;
}

const DEFAULT_MAX_TOKEN_LENGTH = 8192;
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** A protected header longer than this is not one a token issuer writes. */
const MAX_HEADER_CHARS = 2048;

const noTrustedKey = (): GuardError =>
  new GuardError('TOKEN_SIGNATURE_INVALID', 'No trusted key matches the access token.');

/** One trusted issuer's pins, resolved once. */
class IssuerPins {
  readonly issuer: string;
  readonly keys: JWTVerifyGetKey;
  readonly verifyOptions: JWTVerifyOptions;
  readonly clockToleranceSeconds: number;
  readonly maxTokenLifetimeSeconds: number;
  readonly profile: TokenProfile;
  readonly scopeClaim: 'scope' | 'scp';
  readonly clientIdClaim: ClientIdClaim;
  readonly keySource: TokenKeyLookup | undefined;

  constructor(options: TokenIssuerVerification, revocations: RevocationCheck | undefined) {
    const { issuer } = options;
    this.issuer = issuer;
    // A token is never signed with an event key (kid `events-...`), whichever source holds it.
    const keys = guardedKeys(options.keys, (kid) => !kid.startsWith(EVENT_KEY_ID_PREFIX));
    // A revoked key is refused before any key source is asked (its JWKS copy may still hold
    // it), on the header jose has already decoded: no second decoding per token.
    this.keys = revocations
      ? (header, token) => {
          // The header comes before the payload is trusted: the key asked about is the one of
          // the issuer these pins accept (the payload's iss must equal it).
          if (header.kid !== undefined && revocations.isKeyRevoked(issuer, header.kid)) {
            throw tokenRevoked('key');
          }
          return keys(header, token);
        }
      : keys;
    this.clockToleranceSeconds = options.clockToleranceSeconds;
    this.maxTokenLifetimeSeconds =
      options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    this.profile = options.profile ?? 'rfc9068';
    this.scopeClaim = options.claims?.scope ?? 'scope';
    this.clientIdClaim = options.claims?.clientId ?? 'client_id';
    this.keySource = (options as { keySource?: TokenKeyLookup }).keySource;
    this.verifyOptions = {
      issuer,
      audience: [...(typeof options.audience === 'string' ? [options.audience] : options.audience)],
      algorithms: [...options.algorithms],
      // The jwt profile checks typ itself (absent or JWT), below.
      ...(this.profile === 'rfc9068' ? { typ: 'at+jwt' } : {}),
      clockTolerance: options.clockToleranceSeconds,
      // iss and aud are required by the issuer and audience options; toPrincipal requires the
      // rest (cheaper than jose's requiredClaims, which costs microseconds per call).
    };
  }

  /** The `jwt` profile: header `typ` absent or `JWT`, payload `typ` absent or `Bearer`. */
  checkProfile(headerTyp: unknown, payload: JWTPayload): void {
    if (this.profile !== 'jwt') return; // rfc9068: jose checked typ: at+jwt
    if (headerTyp !== undefined && (typeof headerTyp !== 'string' || !/^jwt$/i.test(headerTyp))) {
      throw new GuardError(
        'TOKEN_CLAIMS_INVALID',
        'The access token\'s "typ" header is not accepted.',
      );
    }
    const typ = payload.typ;
    if (typ !== undefined && (typeof typ !== 'string' || !/^bearer$/i.test(typ))) {
      // Keycloak's ID tokens (typ: ID) and refresh tokens (typ: Refresh) are no access tokens.
      throw new GuardError(
        'TOKEN_CLAIMS_INVALID',
        'The access token\'s "typ" claim is not accepted.',
      );
    }
  }
}

/**
 * Verifies access tokens locally: signature, pinned algorithms, issuer, audience, token profile
 * (`typ: at+jwt` by default, RFC 9068), expiry with a clock tolerance, and the claims revocation
 * needs.
 *
 * With several issuers, the issuer of a token is chosen by the `kid` of its protected header: the
 * one issuer whose key source holds it. A kid no source holds makes every source refetch (each
 * under its cooldown) and is looked up again. A kid still unknown, a kid that several issuers
 * hold, or no kid: the payload's `iss` chooses among the configured issuers (`TOKEN_SIGNATURE_INVALID`
 * "No trusted key matches the access token." when it names none). Either way the chosen issuer's
 * pins and keys verify the token, so the unverified header and payload only choose which pins.
 */
export class TokenVerifier {
  private readonly issuers: readonly IssuerPins[];
  private readonly byIssuer: ReadonlyMap<string, IssuerPins>;
  /** The distinct key sources of the issuers, refetched for an unknown kid. */
  private readonly keySources: readonly TokenKeyLookup[];
  private readonly maxTokenLength: number;
  private readonly cache: VerifiedTokenCache | undefined;
  private readonly clock: Clock;
  private readonly revocations: RevocationCheck | undefined;
  /** A clock was given: jose is told its time (else jose reads the system clock). */
  private readonly clockGiven: boolean;

  constructor(options: TokenVerifierOptions | MultiIssuerTokenVerifierOptions) {
    rejectRenamedOptions('TokenVerifier', options, {
      cacheMaxEntries: 'verifiedTokenCacheMaxEntries',
    });
    this.revocations = options.revocations;
    const issuers = 'issuers' in options ? options.issuers : [options];
    if (issuers.length === 0) throw new TypeError('TokenVerifier: "issuers" must not be empty');
    this.issuers = issuers.map((issuer) => new IssuerPins(issuer, options.revocations));
    this.byIssuer = new Map(this.issuers.map((pins) => [pins.issuer, pins]));
    if (this.byIssuer.size !== this.issuers.length) {
      throw new TypeError('TokenVerifier: each issuer must appear once in "issuers"');
    }
    this.keySources = [
      ...new Set(
        this.issuers.flatMap((pins) => (pins.keySource === undefined ? [] : [pins.keySource])),
      ),
    ];
    this.maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    this.clock = options.clock ?? systemClock;
    this.clockGiven = options.clock !== undefined;
    const cacheMaxEntries = options.verifiedTokenCacheMaxEntries ?? 0;
    this.cache =
      cacheMaxEntries > 0 ? new VerifiedTokenCache(cacheMaxEntries, this.clock) : undefined;
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
    // One issuer: no choice to make, nothing decoded here (jose decodes the header once).
    // Several: the one issuer holding the header's kid, without a further await when there is one.
    const pins =
      this.issuers.length === 1
        ? this.issuers[0]
        : (this.soleHolderOf(headerKid(token)) ?? (await this.pinsFor(token)));
    let payload: JWTPayload;
    let kid: string | undefined;
    let typ: unknown;
    try {
      const options =
        atMs !== undefined
          ? { ...pins.verifyOptions, currentDate: new Date(atMs) }
          : this.clockGiven
            ? { ...pins.verifyOptions, currentDate: new Date(this.clock.nowMs()) }
            : pins.verifyOptions;
      ({
        payload,
        protectedHeader: { kid, typ },
      } = await jwtVerify(token, pins.keys, options));
    } catch (err) {
      throw toGuardError(err, token);
    }
    pins.checkProfile(typ, payload);
    const principal = this.unlessRevoked(
      this.withinLifetime(pins, toPrincipal(payload, kid ?? '', pins)),
    );
    // Only tokens valid now are cached (the cache never serves one past its exp).
    if (atMs === undefined || principal.exp * 1000 > this.clock.nowMs()) {
      this.cache?.set(token, principal);
    }
    return principal;
  }

  /**
   * The issuer of a token whose kid has no sole holder: after a refetch for an unknown kid, the
   * sole holder; else (no kid, several holders, still unknown) by the payload's iss.
   */
  private async pinsFor(token: string): Promise<IssuerPins> {
    const kid = headerKid(token);
    if (kid !== undefined) {
      let holders = this.holdersOf(kid);
      if (holders.length === 0) {
        // A kid no source holds yet (a rotation): each source refetches, under its cooldown.
        await Promise.all(this.keySources.map((source) => source.refresh()));
        holders = this.holdersOf(kid);
      }
      if (holders.length === 1) return holders[0];
    }
    // No kid, a kid at several issuers, or at none: the payload's iss names the pins to try.
    const pins = this.byIssuer.get(payloadIssuer(token) ?? '');
    if (pins === undefined) throw noTrustedKey();
    return pins;
  }

  /** The one issuer whose key source holds `kid`; undefined when none or several do. */
  private soleHolderOf(kid: string | undefined): IssuerPins | undefined {
    if (kid === undefined) return undefined;
    let holder: IssuerPins | undefined;
    for (const pins of this.issuers) {
      if (pins.keySource?.has(kid) !== true) continue;
      if (holder !== undefined) return undefined;
      holder = pins;
    }
    return holder;
  }

  private holdersOf(kid: string): IssuerPins[] {
    return this.issuers.filter((pins) => pins.keySource?.has(kid) === true);
  }

  /** Whether a cached principal's `nbf`, if any, had passed at `atMs` (with the tolerance). */
  private activeAt(principal: Principal, atMs: number): boolean {
    const nbf = principal.claims.nbf;
    const tolerance = this.byIssuer.get(principal.iss)?.clockToleranceSeconds ?? 0;
    return typeof nbf !== 'number' || nbf <= atMs / 1000 + tolerance;
  }

  /** jose checks `iat` only against a max token age; an issue date ahead of now is refused here. */
  private withinLifetime(pins: IssuerPins, principal: Principal): Principal {
    const nowSeconds = this.clock.nowMs() / 1000;
    if (principal.iat > nowSeconds + pins.clockToleranceSeconds) {
      throw new GuardError(
        'TOKEN_CLAIMS_INVALID',
        'The access token\'s "iat" claim is in the future.',
      );
    }
    const maxLifetime = pins.maxTokenLifetimeSeconds;
    if (principal.exp - principal.iat > maxLifetime) {
      throw new GuardError(
        'TOKEN_CLAIMS_INVALID',
        `The access token's "exp" claim is more than ${maxLifetime} s after its "iat".`,
      );
    }
    return principal;
  }

  private unlessRevoked(principal: Principal): Principal {
    const scope = this.revocations?.check(principal);
    if (scope !== undefined) throw tokenRevoked(scope);
    return principal;
  }

  /** Whether {@link verify} also refuses revoked tokens (it was given `revocations`). */
  get checksRevocations(): boolean {
    return this.revocations !== undefined;
  }

  /** Forgets cached verifications of tokens signed with `kid` (for a revoked signing key). */
  forgetKey(kid: string): void {
    this.cache?.dropKey(kid);
  }
}

/** The `kid` of a token's protected header (undefined when it has none). */
function headerKid(token: string): string | undefined {
  const header = decodeSegment(token.slice(0, token.indexOf('.')));
  if (header === undefined) {
    throw new GuardError('TOKEN_MALFORMED', 'The access token is malformed.');
  }
  return typeof header.kid === 'string' ? header.kid : undefined;
}

/** The unverified `iss` of a token's payload, to choose which pins verify it. */
function payloadIssuer(token: string): string | undefined {
  const first = token.indexOf('.');
  const iss = decodeSegment(token.slice(first + 1, token.indexOf('.', first + 1)), Infinity)?.iss;
  return typeof iss === 'string' ? iss : undefined;
}

/** A base64url JSON object, or undefined. */
function decodeSegment(
  segment: string,
  maxChars = MAX_HEADER_CHARS,
): Record<string, unknown> | undefined {
  if (segment.length > maxChars) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const nonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value !== '';

/** An optional claim: absent, or a non-empty string (the denylist keys it). */
const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || nonEmptyString(value);

/** `scp`: a space-separated string or an array of strings; `scope`: a string. Else undefined. */
function scopesOf(value: unknown, claim: 'scope' | 'scp'): string[] | undefined {
  if (value === undefined) return [];
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '');
  if (claim === 'scp' && Array.isArray(value) && value.every((s) => typeof s === 'string')) {
    return value.filter((s) => s !== '');
  }
  return undefined;
}

function toPrincipal(
  payload: JWTPayload,
  kid: string,
  { scopeClaim, clientIdClaim }: Pick<IssuerPins, 'scopeClaim' | 'clientIdClaim'>,
): Principal {
  const { iss, sub, jti, iat, exp } = payload;
  const sid = payload.sid;
  const clientId = payload[clientIdClaim];
  const scopes = scopesOf(payload[scopeClaim], scopeClaim);
  // Strings, not just truthy: the denylist keys issuers, users, sessions and tokens by string.
  // `sid` and `jti` may be absent (a token without them escapes only session and token
  // revocations, which cannot name it); present, they must be usable keys.
  if (
    !nonEmptyString(iss) ||
    !nonEmptyString(sub) ||
    !optionalString(jti) ||
    !optionalString(sid) ||
    !optionalString(clientId) ||
    scopes === undefined
  ) {
    throw new GuardError(
      'TOKEN_CLAIMS_INVALID',
      `The access token's iss, sub, sid, jti or ${clientIdClaim} is missing or not a non-empty string.`,
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
    scopes,
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
