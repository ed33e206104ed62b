import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { IdentityProvider } from './identity-providers.js';
import { SignalError, signalErrorOf } from './signal-error.js';

/** The event a logout token must carry (OIDC Back-Channel Logout 1.0 section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A logout token older than this (by its `iat`) is refused, whatever its `exp`. */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 600;

/** Longest accepted logout token, in characters (a provider's is about 1 KB). */
const MAX_TOKEN_CHARS = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Ids are keys of the denylist: 1 to 256 characters, as in the revocation contract. */
const MAX_ID_CHARS = 256;

/** A verified logout token: who and what the provider logged out, and when. */
export interface LogoutToken {
  readonly jti: string;
  readonly sub: string | undefined;
  readonly sid: string | undefined;
  /** Its `iat`, seconds since the epoch: when the provider ended the session(s). */
  readonly iat: number;
  /** Its `exp`: its receipt is kept until then (replays before it are refused). */
  readonly exp: number;
}

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value.length <= MAX_ID_CHARS;

const claimsInvalid = (message: string) => new SignalError('SIGNAL_CLAIMS_INVALID', message);

/**
 * Validates a logout token as OIDC Back-Channel Logout 1.0 section 2.6 requires, against the
 * provider's keys: signed (never encrypted, never `none` or HMAC) with one of its algorithms,
 * `typ: logout+jwt`, its issuer, one of our client ids as audience, `iat` (not ahead of now, not
 * older than {@link LOGOUT_TOKEN_MAX_AGE_SECONDS}), `exp`, `jti`, the back-channel logout event,
 * `sub` and/or `sid`, and no `nonce`. Whether its `jti` was seen before is the caller's check.
 */
export async function verifyLogoutToken(
  token: string,
  provider: IdentityProvider,
  keys: JWTVerifyGetKey,
  nowMs: number,
): Promise<LogoutToken> {
  const settings = provider.backChannelLogout;
  if (!settings) throw new Error(`${provider.id} has no back-channel logout settings`);
  if (token.length > MAX_TOKEN_CHARS || !COMPACT_JWS.test(token)) {
    throw new SignalError(
      'SIGNAL_MALFORMED',
      token.split('.').length === 5
        ? 'Encrypted logout tokens are not supported: send it signed.'
        : 'The logout token is not a compact JWS.',
    );
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: provider.issuer,
      audience: [...settings.audiences],
      algorithms: [...provider.algorithms],
      typ: 'logout+jwt',
      clockTolerance: provider.clockSkewSeconds,
      maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
      requiredClaims: ['iat', 'exp', 'jti'],
      currentDate: new Date(nowMs),
    }));
  } catch (err) {
    throw signalErrorOf(err, 'logout token');
  }
  const { jti, iat, exp, sub, sid } = payload;
  if (!isId(jti)) throw claimsInvalid('The logout token\'s "jti" is not a usable id.');
  if (typeof iat !== 'number' || typeof exp !== 'number') {
    throw claimsInvalid('The logout token lacks "iat" or "exp".');
  }
  if (iat > nowMs / 1000 + provider.clockSkewSeconds) {
    throw claimsInvalid('The logout token\'s "iat" is in the future.');
  }
  const events = payload.events as Record<string, unknown> | undefined;
  const event =
    typeof events === 'object' && events !== null ? events[BACKCHANNEL_LOGOUT_EVENT] : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw claimsInvalid(`The logout token's "events" lacks the ${BACKCHANNEL_LOGOUT_EVENT} event.`);
  }
  if (payload.nonce !== undefined) {
    throw claimsInvalid('A logout token must not carry "nonce".');
  }
  if ((sub !== undefined && !isId(sub)) || (sid !== undefined && !isId(sid))) {
    throw claimsInvalid('The logout token\'s "sub" or "sid" is not a usable id.');
  }
  if (sub === undefined && sid === undefined) {
    throw claimsInvalid('The logout token names neither "sub" nor "sid".');
  }
  return { jti, sub, sid, iat, exp };
}
