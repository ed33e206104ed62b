import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { GUARD_ERROR_STATUS, type GuardErrorCode } from '../core/guard-error.js';

export interface ApiRevocationGuardOptions {
  /** The security scheme's name in `DocumentBuilder().addBearerAuth(options, name)`. Default `bearer`. */
  readonly securityName?: string;
}

const DESCRIPTIONS = {
  401: 'No valid access token: missing, malformed, badly signed, expired, for another issuer or audience, or revoked. `WWW-Authenticate: Bearer` says which.',
  403: 'The token is valid but the route needs more: a scope (`INSUFFICIENT_SCOPE`, the challenge names the scopes) or a recent login (`LOGIN_TOO_OLD`).',
  503: 'This instance cannot vouch for revocations yet (not caught up, or stale under the `reject` policy) or has no signing keys. Retry after `Retry-After` seconds.',
} as const;

const ERRORS = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' } as const;

/** The codes a refusal with `status` can carry, from the guard's one catalogue. */
const codesOf = (status: 401 | 403 | 503): GuardErrorCode[] =>
  (Object.keys(GUARD_ERROR_STATUS) as GuardErrorCode[]).filter(
    (code) => GUARD_ERROR_STATUS[code] === status,
  );

/** The guard's refusal body, `{statusCode, code, message, error}`, for one status. */
function refusalSchema(status: 401 | 403 | 503) {
  return {
    type: 'object' as const,
    required: ['statusCode', 'code', 'message', 'error'],
    properties: {
      statusCode: { type: 'integer' as const, enum: [status] },
      code: { type: 'string' as const, enum: codesOf(status) },
      message: { type: 'string' as const },
      error: { type: 'string' as const, enum: [ERRORS[status]] },
    },
  };
}

/**
 * Documents, in the app's OpenAPI document (`@nestjs/swagger`), a controller or handler that the
 * guard protects: the bearer security requirement, and the 401, 403 and 503 answers with their
 * body and every code each can carry. The app declares the scheme once with
 * `new DocumentBuilder().addBearerAuth()`.
 */
export function ApiRevocationGuard(
  options: ApiRevocationGuardOptions = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(options.securityName ?? 'bearer'),
    ApiResponse({ status: 401, description: DESCRIPTIONS[401], schema: refusalSchema(401) }),
    ApiResponse({ status: 403, description: DESCRIPTIONS[403], schema: refusalSchema(403) }),
    ApiResponse({
      status: 503,
      description: DESCRIPTIONS[503],
      schema: refusalSchema(503),
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer' },
        },
      },
    }),
  );
}
