import {
  Inject,
  Injectable,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import {
  GUARD_BODY_OPTIONS,
  GuardUnavailableException,
  PROBLEM_JSON,
  type GuardBodyOptions,
} from './guard-http-exception.js';

interface HttpResponse {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * Installed by the module for every HTTP handler: a {@link GuardUnavailableException} thrown by a
 * handler (e.g. `RevocationReadiness.check()` in a readiness endpoint) answers with its
 * `Retry-After` header (and the problem-details media type when `problemDetails` is on), as the
 * guard's own 503s do. Everything else passes through untouched.
 */
@Injectable()
export class RetryAfterInterceptor implements NestInterceptor {
  constructor(
    @Optional()
    @Inject(GUARD_BODY_OPTIONS)
    private readonly bodyOptions: GuardBodyOptions = {},
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    return next.handle().pipe(
      catchError((err: unknown) => {
        if (err instanceof GuardUnavailableException) {
          const response = context.switchToHttp().getResponse<HttpResponse>();
          const set = (name: string, value: string) => {
            if (response.setHeader) response.setHeader(name, value);
            else response.header?.(name, value);
          };
          set('Retry-After', String(err.retryAfterSeconds));
          if (this.bodyOptions.problemDetails === true) set('Content-Type', PROBLEM_JSON);
        }
        return throwError(() => err);
      }),
    );
  }
}
