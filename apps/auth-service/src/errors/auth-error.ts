import { GUARD_ERROR_STATUS, type TokenErrorCode } from '@tokenfence/revocation-guard';

/** The token codes, exactly as the guard library defines them (one catalogue). */
const TOKEN_STATUS = Object.fromEntries(
  Object.entries(GUARD_ERROR_STATUS).filter(([, status]) => status === 401),
) as Record<TokenErrorCode, 401>;

/** Every error code the auth service answers with, and its HTTP status. */
const STATUS = {
  ...TOKEN_STATUS,
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  SCOPE_NOT_ALLOWED: 400,
  INVALID_GRANT: 400,
  INVALID_CREDENTIALS: 401,
  INVALID_CLIENT: 401,
  INVALID_REFRESH_TOKEN: 401,
  REFRESH_TOKEN_REUSED: 401,
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
