import {
  ForbiddenException,
  ServiceUnavailableException,
  UnauthorizedException,
  type HttpException,
} from '@nestjs/common';
import type { GuardError, GuardErrorCode } from '../core/guard-error.js';
import { refusalBody, retryAfterSeconds, type GuardBodyOptions } from '../core/http-refusal.js';

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
