import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { IdentityProvider } from './identity-providers.js';
import { SignalError, signalErrorOf } from './signal-error.js';

/** Longest accepted SET, in characters (Keycloak's are about 1 KB). */
const MAX_SET_CHARS = 16_384;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_ID_CHARS = 256;
/**
 * A SET older than this (by its `iat`) is refused: its receipt, which tells a retry from a
 * replay, is kept no longer. Transmitters give up sooner (Keycloak: 2 days).
 */
export const SET_MAX_AGE_SECONDS = 2 * 86_400;

/** A verified security event token (RFC 8417) carrying one event, as SSF 1.0 requires. */
export interface SecurityEventToken {
  readonly jti: string;
  readonly iat: number;
  /** The event type URI, e.g. `https://schemas.openid.net/secevent/caep/event-type/session-revoked`. */
  readonly eventType: string;
  /** The event's own claims (`event_timestamp`, `state`, ...). */
  readonly event: Readonly<Record<string, unknown>>;
  /** The subject: the SET's `sub_id` (SSF 1.0), else the event's `subject` (older CAEP drafts). */
  readonly subject: Readonly<Record<string, unknown>> | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const claimsInvalid = (message: string) => new SignalError('SIGNAL_CLAIMS_INVALID', message);

/**
 * Validates a SET from `provider` (RFC 8417, SSF 1.0 section 4): a compact JWS signed with one of
 * its keys and algorithms (never encrypted, `none` or HMAC), `typ: secevent+jwt`, its issuer, one
 * of `audiences` (the stream's), `iat` not ahead of now, `exp` if present, `jti`, and exactly one
 * event whose claims are an object. Whether its `jti` was seen before is the caller's check.
 */
export async function verifySecurityEventToken(
  token: string,
  provider: IdentityProvider,
  keys: JWTVerifyGetKey,
  audiences: readonly string[],
  nowMs: number,
): Promise<SecurityEventToken> {
  if (token.length > MAX_SET_CHARS || !COMPACT_JWS.test(token)) {
    throw new SignalError(
      'SIGNAL_MALFORMED',
      token.split('.').length === 5
        ? 'Encrypted security event tokens are not supported: send it signed.'
        : 'The security event token is not a compact JWS.',
    );
  }
  if (audiences.length === 0) {
    throw claimsInvalid('No stream with this provider is set up: no audience is accepted yet.');
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: provider.issuer,
      audience: [...audiences],
      algorithms: [...provider.algorithms],
      typ: 'secevent+jwt',
      clockTolerance: provider.clockSkewSeconds,
      requiredClaims: ['iat', 'jti'],
      maxTokenAge: SET_MAX_AGE_SECONDS,
      currentDate: new Date(nowMs),
    }));
  } catch (err) {
    throw signalErrorOf(err, 'security event token');
  }
  const { jti, iat } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_ID_CHARS) {
    throw claimsInvalid('The security event token\'s "jti" is not a usable id.');
  }
  if (typeof iat !== 'number' || iat > nowMs / 1000 + provider.clockSkewSeconds) {
    throw claimsInvalid('The security event token\'s "iat" is missing or in the future.');
  }
  const events = payload.events;
  const entries = isRecord(events) ? Object.entries(events) : [];
  if (entries.length !== 1) {
    throw claimsInvalid('A security event token must carry exactly one event.');
  }
  const [[eventType, event]] = entries as [[string, unknown]];
  if (!isRecord(event))
    throw claimsInvalid('The event of the security event token is not an object.');
  const subject = payload.sub_id ?? event.subject;
  if (subject !== undefined && !isRecord(subject)) {
    throw claimsInvalid('The security event token\'s "sub_id" is not an object.');
  }
  return { jti, iat, eventType, event, subject };
}
