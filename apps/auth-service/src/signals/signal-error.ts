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
  /** A claim the specification requires is missing or wrong (typ, iss, aud, iat, exp, events...). */
  SIGNAL_CLAIMS_INVALID: 400,
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
