/** Every error code the auth service answers with, and its HTTP status. */
const STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  SCOPE_NOT_ALLOWED: 400,
  INVALID_CREDENTIALS: 401,
  INVALID_CLIENT: 401,
  INVALID_REFRESH_TOKEN: 401,
  REFRESH_TOKEN_REUSED: 401,
  TOKEN_MISSING: 401,
  TOKEN_MALFORMED: 401,
  TOKEN_SIGNATURE_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_CLAIMS_INVALID: 401,
  TOKEN_REVOKED: 401,
  INSUFFICIENT_SCOPE: 403,
  NOT_FOUND: 404,
  USERNAME_TAKEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  MALFORMED_REQUEST: 400,
  RATE_LIMITED: 429,
  LOGIN_LOCKED: 429,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_READY: 503,
  CUTOFF_IN_FUTURE: 503,
  INTERNAL_ERROR: 500,
} as const;

export type AuthErrorCode = keyof typeof STATUS;

/** The HTTP status of a code, for the OpenAPI document. */
export const statusOf = (code: AuthErrorCode): number => STATUS[code];

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** A refusal with a stable code; mapped to HTTP in one place ({@link HttpErrorFilter}). */
export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly fields?: readonly FieldError[],
    /** Sent as `Retry-After` (seconds) with a 429 or 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.code];
  }
}
