import {
  ForbiddenException,
  IntrinsicException,
  ServiceUnavailableException,
  UnauthorizedException,
  type HttpException,
} from '@nestjs/common';
import type { GuardError, GuardErrorCode } from '../core/guard-error.js';
import {
  reasonPhrase,
  refusalBody,
  retryAfterSeconds,
  type GuardBodyOptions,
} from '../core/http-refusal.js';

// The framework-free part (bodies, challenge, Retry-After) is in core/http-refusal.ts, shared
// with the Express and Fastify adapters; these names stay importable from here.
export {
  bearerChallenge,
  PROBLEM_JSON,
  RETRY_AFTER_SECONDS,
  type GuardBodyOptions,
  type GuardErrorBody,
  type GuardProblemDetails,
} from '../core/http-refusal.js';

/** The HTTP answer settings of the module (from its options), injected into the guard. */
export const GUARD_BODY_OPTIONS = Symbol('GUARD_BODY_OPTIONS');

const bodyOf = (error: GuardError, options: GuardBodyOptions): object =>
  refusalBody(error, options);

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
    this.retryAfterSeconds = retryAfterSeconds(error);
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
    const retryAfter = error.status === 503 ? retryAfterSeconds(error) : undefined;
    this.extensions = {
      code: error.code,
      statusCode: error.status,
      error: reasonPhrase(error.status),
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    };
  }
}
