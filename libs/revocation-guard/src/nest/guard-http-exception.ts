import { HttpException } from '@nestjs/common';
import type { GuardError } from '../core/guard-error.js';

/** The one place a {@link GuardError} becomes an HTTP answer: `{ code, message }`. */
export function toHttpException(error: GuardError): HttpException {
  return new HttpException({ code: error.code, message: error.message }, error.status, {
    cause: error,
  });
}

/** RFC 6750 challenge for a 401 or 403. */
export function bearerChallenge(error: GuardError): string {
  if (error.code === 'TOKEN_MISSING') return 'Bearer';
  const kind = error.status === 403 ? 'insufficient_scope' : 'invalid_token';
  return `Bearer error="${kind}", error_description="${error.code}"`;
}
