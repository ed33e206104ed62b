import { isBasicScheme } from '../oauth/client-authenticator.js';
import {
  Catch,
  HttpException,
  Inject,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { oauthPaths, withOAuthFields } from '../oauth/oauth-error.js';
import { AuthError, type AuthErrorCode } from './auth-error.js';

interface ErrorBody {
  code: string;
  message: string;
  fields?: readonly { field: string; message: string }[];
}

const CODE_BY_STATUS: Record<number, AuthErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'TOKEN_MISSING',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Every error leaves as `{ code, message, fields? }` (on OAuth endpoints with RFC 6749 `error` and
 * `error_description` too); unknown errors become a logged 500.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');
  /** The OAuth endpoints this service serves: a path it does not serve answers as unknown. */
  private readonly oauthPaths: ReadonlySet<string>;

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    this.oauthPaths = oauthPaths(config);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const [status, body] = this.toBody(exception);
    if (exception instanceof AuthError && exception.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    const request = http.getRequest<Request>();
    if (status === 401 && !response.hasHeader('WWW-Authenticate')) {
      // RFC 6749 5.2: a client that tried Basic is challenged with the scheme it used.
      const basic = body.code === 'INVALID_CLIENT' && isBasicScheme(request.headers.authorization);
      response.setHeader('WWW-Authenticate', basic ? 'Basic realm="tokenfence"' : 'Bearer');
    }
    response.status(status).json(withOAuthFields(request.path, status, body, this.oauthPaths));
  }

  private toBody(exception: unknown): [number, ErrorBody] {
    if (exception instanceof AuthError) {
      const body: ErrorBody = { code: exception.code, message: exception.message };
      if (exception.fields) body.fields = exception.fields;
      return [exception.status, body];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'object' && response !== null && 'code' in response) {
        return [status, response as ErrorBody];
      }
      const code =
        CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_FAILED');
      return [status, { code, message: exception.message }];
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : 'unknown error',
    );
    return [500, { code: 'INTERNAL_ERROR', message: 'Internal error.' }];
  }
}
