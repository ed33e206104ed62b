/**
 * Every way the guard can refuse a request, with its HTTP status: the one catalogue. The auth
 * service builds its own token codes from it, so the two can never disagree.
 */
export const GUARD_ERROR_STATUS = {
  TOKEN_MISSING: 401,
  TOKEN_MALFORMED: 401,
  TOKEN_SIGNATURE_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_CLAIMS_INVALID: 401,
  TOKEN_REVOKED: 401,
  INSUFFICIENT_SCOPE: 403,
  LOGIN_TOO_OLD: 403,
  /** A microservice transport other than Kafka and TCP, or another context not checked yet. */
  GUARD_CONTEXT_UNSUPPORTED: 403,
  REVOCATION_STATE_NOT_READY: 503,
  REVOCATION_STATE_STALE: 503,
  SIGNING_KEYS_UNAVAILABLE: 503,
} as const satisfies Record<string, 401 | 403 | 503>;

/** Stable codes for every way the guard can refuse a request. */
export type GuardErrorCode = keyof typeof GUARD_ERROR_STATUS;

/** The codes that say what is wrong with the token itself (all 401). */
export type TokenErrorCode = {
  [C in GuardErrorCode]: (typeof GUARD_ERROR_STATUS)[C] extends 401 ? C : never;
}[GuardErrorCode];

export const TOKEN_ERROR_CODES = (Object.keys(GUARD_ERROR_STATUS) as GuardErrorCode[]).filter(
  (code): code is TokenErrorCode => GUARD_ERROR_STATUS[code] === 401,
);

export const isTokenErrorCode = (code: string): code is TokenErrorCode =>
  (TOKEN_ERROR_CODES as readonly string[]).includes(code);

/** Why a request was refused. The message never contains the token. */
export class GuardError extends Error {
  override readonly name = 'GuardError';
  readonly status: 401 | 403 | 503;
  /** For `INSUFFICIENT_SCOPE`: every scope the route needs (RFC 6750 `scope` attribute). */
  readonly requiredScopes: readonly string[] | undefined;

  constructor(
    readonly code: GuardErrorCode,
    message: string,
    options?: { cause?: unknown; requiredScopes?: readonly string[] },
  ) {
    super(message, options);
    this.status = GUARD_ERROR_STATUS[code];
    this.requiredScopes = options?.requiredScopes;
  }
}

/** The refusal of a token that a revocation of `scope` covers. */
export function tokenRevoked(scope: string): GuardError {
  return new GuardError('TOKEN_REVOKED', `The access token has been revoked (${scope}).`);
}

/** The refusal of a handler in a context the guard does not support yet (`rpc`, ...). */
export function contextUnsupported(type: string): GuardError {
  return new GuardError(
    'GUARD_CONTEXT_UNSUPPORTED',
    `The revocation guard does not support ${type} handlers yet; mark the handler @Public() ` +
      'or set globalGuard: false.',
  );
}
