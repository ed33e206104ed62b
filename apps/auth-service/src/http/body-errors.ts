import type { NextFunction, Request, Response } from 'express';
import { statusOf, type AuthErrorCode } from '../errors/auth-error.js';
import type { AuthConfig } from '../config/auth-config.js';
import { oauthPaths, withOAuthFields } from '../oauth/oauth-error.js';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
}

/**
 * Express error middleware for what body-parser rejects before Nest routing sees the request:
 * malformed JSON, oversized bodies, unsupported charsets. Answers in the service's error shape,
 * with RFC 6749 fields on the OAuth endpoints served.
 */
export function bodyErrorHandler(config: Pick<AuthConfig, 'mode' | 'clients'>) {
  const paths = oauthPaths(config);
  return (err: BodyParserError, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const answer = (code: AuthErrorCode, message: string, status = statusOf(code)): void => {
      res.status(status).json(withOAuthFields(req.path, status, { code, message }, paths));
    };
    switch (err.type ?? '') {
      case 'entity.parse.failed':
        return answer('MALFORMED_JSON', 'The request body is not valid JSON.');
      case 'entity.too.large':
        return answer('PAYLOAD_TOO_LARGE', 'The request body is too large.');
      case 'charset.unsupported':
      case 'encoding.unsupported':
        return answer('UNSUPPORTED_MEDIA_TYPE', 'The body encoding is not supported.');
      default:
        if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
          return answer('VALIDATION_FAILED', 'The request body was refused.', err.status);
        }
        next(err);
    }
  };
}
