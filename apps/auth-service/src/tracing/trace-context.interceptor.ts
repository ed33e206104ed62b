import type { IncomingMessage } from 'node:http';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import type { AuthTracing } from './auth-tracing.js';

/**
 * With tracing on and no HTTP instrumentation in the process, runs each handler in the context
 * its request's `traceparent` header names, so the spans of a logout join the caller's trace.
 * Registered only when tracing is on.
 */
export class TraceContextInterceptor implements NestInterceptor {
  constructor(private readonly tracing: AuthTracing) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== 'http') return next.handle();
    const request = execution.switchToHttp().getRequest<IncomingMessage>();
    const parent = this.tracing.requestContext(request.headers);
    if (!parent) return next.handle();
    // The handler runs when subscribed: subscribe inside the context, so its work inherits it.
    return new Observable((subscriber) =>
      context.with(parent, () => next.handle().subscribe(subscriber)),
    );
  }
}
