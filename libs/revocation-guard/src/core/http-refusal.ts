import type { GuardError, GuardErrorCode } from './guard-error.js';

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

/** How refusals are answered over HTTP (the `problemDetails` option). */
export interface GuardBodyOptions {
  /** RFC 9457 `application/problem+json` bodies instead of `{statusCode, code, message, error}`. */
  readonly problemDetails?: boolean;
}

/** A refusal as an HTTP answer, for any HTTP framework: status, headers and JSON body. */
export interface HttpRefusal {
  readonly status: 401 | 403 | 503;
  /** `WWW-Authenticate` (401, 403), `Retry-After` (503) and `Content-Type`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: GuardErrorBody | GuardProblemDetails;
}

/** The media type of a problem-details body (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'https://tokenfence.dev/problems/';

const REASON = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' } as const;

/** The reason phrase of a refusal's status, as Nest's own exceptions give it. */
export const reasonPhrase = (status: 401 | 403 | 503): string => REASON[status];

/**
 * Seconds a client should wait before retrying a 503: heartbeats come every second, so freshness
 * and catching up are rechecked that often; the JWKS is refetched after its cooldown (5 s default).
 */
export const RETRY_AFTER_SECONDS: Partial<Record<GuardErrorCode, number>> = {
  REVOCATION_STATE_NOT_READY: 1,
  REVOCATION_STATE_STALE: 1,
  SIGNING_KEYS_UNAVAILABLE: 5,
};

/** The `Retry-After` of a 503, in seconds. */
export const retryAfterSeconds = (error: GuardError): number =>
  RETRY_AFTER_SECONDS[error.code] ?? 1;

/** The JSON body of a refusal: `{statusCode, code, message, error}`, or RFC 9457. */
export function refusalBody(
  error: GuardError,
  options: GuardBodyOptions = {},
): GuardErrorBody | GuardProblemDetails {
  const title = REASON[error.status];
  if (options.problemDetails === true) {
    return {
      type: `${PROBLEM_TYPE_BASE}${error.code.toLowerCase().replaceAll('_', '-')}`,
      title,
      status: error.status,
      detail: error.message,
      code: error.code,
    };
  }
  return { statusCode: error.status, code: error.code, message: error.message, error: title };
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
 * The one place a {@link GuardError} becomes an HTTP answer outside Nest (Express, Fastify, plain
 * `node:http`): the same status, headers and body as the Nest guard's exceptions.
 */
export function httpRefusal(error: GuardError, options: GuardBodyOptions = {}): HttpRefusal {
  const headers: Record<string, string> = {
    'Content-Type':
      options.problemDetails === true ? PROBLEM_JSON : 'application/json; charset=utf-8',
  };
  if (error.status === 401 || error.status === 403) {
    headers['WWW-Authenticate'] = bearerChallenge(error);
  }
  if (error.status === 503) headers['Retry-After'] = String(retryAfterSeconds(error));
  return { status: error.status, headers, body: refusalBody(error, options) };
}
