import { errors } from 'jose';

/**
 * Why a provider's signal was refused: a stable code per failure, counted under it
 * (`tokenfence_auth_signals_rejected_total{code}`), and its HTTP status.
 */
export const SIGNAL_ERROR_STATUS = {
  /** No provider with this id is configured (or it does not use this channel). */
  IDENTITY_PROVIDER_UNKNOWN: 404,
  /** The request carries no logout token / security event token. */
  SIGNAL_MISSING: 400,
  /** Not a compact JWS (or an encrypted one, which is not supported), or over the size limit. */
  SIGNAL_MALFORMED: 400,
  /** No key of the provider verifies it, or its algorithm is not one allowed for the provider. */
  SIGNAL_SIGNATURE_INVALID: 400,
  /** A claim the specification requires is missing or wrong (typ, iat, exp, events...). */
  SIGNAL_CLAIMS_INVALID: 400,
  /** Its `iss` is not the provider's. */
  SIGNAL_ISSUER_INVALID: 400,
  /** Its `aud` is not ours (a client id of ours, or our stream's audience). */
  SIGNAL_AUDIENCE_INVALID: 400,
  /** A push without the Authorization header our stream was set up with (RFC 8935 section 2.3). */
  SIGNAL_UNAUTHENTICATED: 401,
  /** Its `jti` was received before (in another signal, or this one once more). */
  SIGNAL_REPLAYED: 400,
  /**
   * It names a session alone, and the provider's access tokens carry no `sid`: nothing could
   * be revoked (OIDC Back-Channel Logout 1.0 section 2.6: refuse what cannot be acted on).
   */
  SIGNAL_SESSION_UNUSABLE: 400,
  /** The provider's keys cannot be fetched now: the provider should send it again later. */
  SIGNAL_KEYS_UNAVAILABLE: 503,
} as const;

export type SignalErrorCode = keyof typeof SIGNAL_ERROR_STATUS;

export class SignalError extends Error {
  override readonly name = 'SignalError';

  constructor(
    readonly code: SignalErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return SIGNAL_ERROR_STATUS[this.code];
  }
}

/**
 * The refusal of a signal (`what`: "logout token", "security event token") that jose refused,
 * or the key resolver's own refusal (the provider's keys cannot be fetched).
 */
export function signalErrorOf(err: unknown, what: string): SignalError {
  if (err instanceof SignalError) return err;
  if (err instanceof errors.JWTExpired) {
    return new SignalError('SIGNAL_CLAIMS_INVALID', `The ${what} has expired.`);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    const code =
      err.claim === 'iss'
        ? 'SIGNAL_ISSUER_INVALID'
        : err.claim === 'aud'
          ? 'SIGNAL_AUDIENCE_INVALID'
          : 'SIGNAL_CLAIMS_INVALID';
    return new SignalError(code, `The ${what}'s "${err.claim}" is not accepted.`);
  }
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSEAlgNotAllowed ||
    err instanceof errors.JOSENotSupported
  ) {
    return new SignalError(
      'SIGNAL_SIGNATURE_INVALID',
      `No key of the provider verifies the ${what} with an algorithm allowed for it.`,
    );
  }
  return new SignalError('SIGNAL_MALFORMED', `The ${what} is malformed.`);
}
