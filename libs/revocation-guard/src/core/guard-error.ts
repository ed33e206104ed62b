/** Stable codes for every way the guard can refuse a request. */
export type GuardErrorCode =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_SIGNATURE_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_CLAIMS_INVALID'
  | 'TOKEN_REVOKED'
  | 'INSUFFICIENT_SCOPE'
  | 'LOGIN_TOO_OLD'
  | 'REVOCATION_STATE_NOT_READY'
  | 'REVOCATION_STATE_STALE'
  | 'SIGNING_KEYS_UNAVAILABLE';

const STATUS: Record<GuardErrorCode, 401 | 403 | 503> = {
  TOKEN_MISSING: 401,
  TOKEN_MALFORMED: 401,
  TOKEN_SIGNATURE_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_CLAIMS_INVALID: 401,
  TOKEN_REVOKED: 401,
  INSUFFICIENT_SCOPE: 403,
  LOGIN_TOO_OLD: 403,
  REVOCATION_STATE_NOT_READY: 503,
  REVOCATION_STATE_STALE: 503,
  SIGNING_KEYS_UNAVAILABLE: 503,
};

/** Why a request was refused. The message never contains the token. */
export class GuardError extends Error {
  override readonly name = 'GuardError';
  readonly status: 401 | 403 | 503;

  constructor(
    readonly code: GuardErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

/** The refusal of a token that a revocation of `scope` covers. */
export function tokenRevoked(scope: string): GuardError {
  return new GuardError('TOKEN_REVOKED', `The access token has been revoked (${scope}).`);
}
