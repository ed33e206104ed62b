import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../core/principal.js';

/**
 * Injects the verified {@link Principal}: of the request over HTTP, of the socket in a
 * WebSocket gateway (undefined on a `@Public()` route).
 */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined =>
    context.getType() === 'ws'
      ? context.switchToWs().getClient<{ data?: { principal?: Principal } }>().data?.principal
      : context.switchToHttp().getRequest<{ user?: Principal }>().user,
);
