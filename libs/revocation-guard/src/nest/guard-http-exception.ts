import {
  ForbiddenException,
  IntrinsicException,
  ServiceUnavailableException,
  UnauthorizedException,
  type HttpException,
} from '@nestjs/common';
import type { GuardError, GuardErrorCode } from '../core/guard-error.js';

/** The body of a refusal: Nest's `{statusCode, message, error}` plus the guard's stable `code`. */
export interface GuardErrorBody {
  readonly statusCode: 401 | 403 | 503;
  readonly code: GuardErrorCode;
  readonly message: string;
  /** The status's reason phrase, as Nest's own exceptions give it. */
  readonly error: string;
}

/** The body of a refusal with `problemDetails: true`: RFC 9457, plus the guard's `code`. */
export interface GuardProblemDetails {
  /** `https://tokenfence.dev/problems/<code in kebab case>`, e.g. `.../token-revoked`. */
  readonly type: string;
  /** The status's reason phrase. */
  readonly title: string;
  readonly status: 401 | 403 | 503;
  readonly detail: string;
  readonly code: GuardErrorCode;
}

/** The media type of a problem-details body (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'https://tokenfence.dev/problems/';

const REASON = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' } as const;

/**
 * Seconds a client should wait before retrying a 503: heartbeats come every second, so freshness
 * and catching up are rechecked that often; the JWKS is refetched after its cooldown (5 s default).
 */
export const RETRY_AFTER_SECONDS: Partial<Record<GuardErrorCode, number>> = {
  REVOCATION_STATE_NOT_READY: 1,
  REVOCATION_STATE_STALE: 1,
  SIGNING_KEYS_UNAVAILABLE: 5,
};

/** The HTTP answer settings of the module (from its options), injected into the guard. */
export const GUARD_BODY_OPTIONS = Symbol('GUARD_BODY_OPTIONS');

export interface GuardBodyOptions {
  /** RFC 9457 `application/problem+json` bodies instead of `{statusCode, code, message, error}`. */
  readonly problemDetails?: boolean;
}

function bodyOf(error: GuardError, options: GuardBodyOptions): object {
  const title = REASON[error.status];
  if (options.problemDetails === true) {
    const body: GuardProblemDetails = {
      type: `${PROBLEM_TYPE_BASE}${error.code.toLowerCase().replaceAll('_', '-')}`,
      title,
      status: error.status,
      detail: error.message,
      code: error.code,
    };
    return body;
  }
  const body: GuardErrorBody = {
    statusCode: error.status,
    code: error.code,
    message: error.message,
    error: title,
  };
  return body;
}

/** A 401 from the guard: an app's `@Catch(UnauthorizedException)` filter sees it. */
export class GuardUnauthorizedException extends UnauthorizedException {
  readonly code: GuardErrorCode;
  constructor(error: GuardError, options: GuardBodyOptions = {}) {
    super(bodyOf(error, options), { cause: error });
    this.code = error.code;
  }
}

/** A 403 from the guard (`INSUFFICIENT_SCOPE`, `LOGIN_TOO_OLD`). */
export class GuardForbiddenException extends ForbiddenException {
  readonly code: GuardErrorCode;
  constructor(error: GuardError, options: GuardBodyOptions = {}) {
    super(bodyOf(error, options), { cause: error });
    this.code = error.code;
  }
}

/** A 503 from the guard: the revocation state or the signing keys are not usable yet. */
export class GuardUnavailableException extends ServiceUnavailableException {
  readonly code: GuardErrorCode;
  /** What the `Retry-After` header says, in seconds. */
  readonly retryAfterSeconds: number;
  constructor(error: GuardError, options: GuardBodyOptions = {}) {
    super(bodyOf(error, options), { cause: error });
    this.code = error.code;
    this.retryAfterSeconds = RETRY_AFTER_SECONDS[error.code] ?? 1;
  }
}

export type GuardHttpException =
  GuardUnauthorizedException | GuardForbiddenException | GuardUnavailableException;

/** The one place a {@link GuardError} becomes an HTTP exception, by its status. */
export function toHttpException(
  error: GuardError,
  options: GuardBodyOptions = {},
): GuardHttpException & HttpException {
  switch (error.status) {
    case 401:
      return new GuardUnauthorizedException(error, options);
    case 403:
      return new GuardForbiddenException(error, options);
    case 503:
      return new GuardUnavailableException(error, options);
  }
}

/** RFC 6750 challenge for a 401 or 403; a 403 for missing scopes names the scopes needed. */
export function bearerChallenge(error: GuardError): string {
  if (error.code === 'TOKEN_MISSING') return 'Bearer';
  const kind = error.status === 403 ? 'insufficient_scope' : 'invalid_token';
  const scope =
    error.requiredScopes !== undefined && error.requiredScopes.length > 0
      ? `, scope="${error.requiredScopes.join(' ')}"`
      : '';
  return `Bearer error="${kind}", error_description="${error.code}"${scope}`;
}

/**
 * `extensions` of a GraphQL refusal: the guard's stable `code` (where Apollo's own errors keep
 * theirs, e.g. `UNAUTHENTICATED`), the HTTP status the same refusal has over HTTP and its reason
 * phrase; `retryAfterSeconds` on a 503.
 */
export interface GuardGraphQLExtensions {
  readonly code: GuardErrorCode;
  readonly statusCode: 401 | 403 | 503;
  readonly error: string;
  readonly retryAfterSeconds?: number;
}

/**
 * A refusal in a GraphQL resolver. graphql-js turns an error thrown by a resolver into a
 * `GraphQLError` whose `extensions` are this error's, so the client sees
 * `errors[].extensions.code`, e.g. `TOKEN_REVOKED`; the operation's HTTP status stays 200, as
 * for any resolver error. It is neither an `HttpException` (which `@nestjs/apollo` rewrites to
 * `UNAUTHENTICATED`/`FORBIDDEN`, losing the code) nor a plain `GraphQLError` (which Nest logs as
 * an unexpected error on every refusal): an {@link IntrinsicException}, never logged.
 */
export class GuardGraphQLException extends IntrinsicException {
  override readonly name = 'GuardGraphQLException';
  readonly code: GuardErrorCode;
  readonly status: 401 | 403 | 503;
  readonly extensions: GuardGraphQLExtensions;
  constructor(error: GuardError) {
    super(error.message, { cause: error });
    this.code = error.code;
    this.status = error.status;
    const retryAfterSeconds =
      error.status === 503 ? (RETRY_AFTER_SECONDS[error.code] ?? 1) : undefined;
    this.extensions = {
      code: error.code,
      statusCode: error.status,
      error: REASON[error.status],
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
  }
}
