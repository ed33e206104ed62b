import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { TOKEN_ERROR_CODES } from '@tokenfence/revocation-guard';
import { statusOf, type AuthErrorCode } from '../errors/auth-error.js';

/** The error body, with `code` narrowed to the codes a response can carry. */
function errorBody(codes: AuthErrorCode[]) {
  return {
    type: 'object',
    required: ['code', 'message'],
    properties: {
      code: { type: 'string', enum: codes },
      message: { type: 'string' },
      fields: {
        type: 'array',
        items: {
          type: 'object',
          properties: { field: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };
}

/** The answers any bearer route can give about its token: the guard library's token codes. */
export const TOKEN_ERRORS: AuthErrorCode[] = [...TOKEN_ERROR_CODES];

/** Documents the error answers of a route: one response per status, listing its codes. */
export function ApiErrors(...codes: AuthErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, AuthErrorCode[]>();
  for (const code of codes) {
    byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({ status, description: `\`code\`: ${list.join(', ')}`, schema: errorBody(list) }),
    ),
  );
}
