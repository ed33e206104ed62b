import { HttpException } from '@nestjs/common';
import type { AuthConfig } from '../config/auth-config.js';
import { oauthEndpoints } from './oauth-endpoints.js';

/**
 * RFC 6749 error body (`error`, `error_description`) plus the service's `code` (the `error` in
 * capitals unless a more precise one is given) and `message`.
 */
export function oauthError(
  status: 400 | 401,
  error: string,
  description: string,
  code = error.toUpperCase(),
): HttpException {
  return new HttpException(
    { error, error_description: description, code, message: description },
    status,
  );
}

/** The OAuth endpoints served: every error they answer is an RFC 6749 one too. */
export function oauthPaths(config: Pick<AuthConfig, 'mode' | 'clients'>): ReadonlySet<string> {
  return new Set(Object.values(oauthEndpoints(config)).map((e) => e.path));
}

/**
 * On an OAuth endpoint (one of `paths`, from {@link oauthPaths}), adds RFC 6749 section 5.2
 * `error` and `error_description` to an error body that lacks them (a refused body, bad JSON, a
 * wrong method): `invalid_client` for 401, `invalid_request` for any other 4xx. Other paths and
 * statuses are left as they are, so a path a signals hub does not serve answers exactly as one
 * that never existed.
 */
export function withOAuthFields<T extends { message: string }>(
  path: string,
  status: number,
  body: T,
  paths: ReadonlySet<string>,
): T {
  const normalized = path.toLowerCase().replace(/\/+$/, '');
  if (!paths.has(normalized) || status < 400 || status >= 500 || 'error' in body) {
    return body;
  }
  const error = status === 401 ? 'invalid_client' : 'invalid_request';
  return { ...body, error, error_description: body.message };
}
