import { HttpException } from '@nestjs/common';

/** RFC 6749 error body (`error`, `error_description`) plus the service's `code` and `message`. */
export function oauthError(status: 400 | 401, error: string, description: string): HttpException {
  return new HttpException(
    { error, error_description: description, code: error.toUpperCase(), message: description },
    status,
  );
}
