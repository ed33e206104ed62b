import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../core/principal.js';
import { rpcPrincipalOf } from './rpc-transport.js';

/**
 * Injects the verified {@link Principal}: of the request over HTTP, of the socket in a
 * WebSocket gateway, of the message in a microservice handler (undefined on a `@Public()` route).
 */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined => {
    switch (context.getType()) {
      case 'ws':
        return context.switchToWs().getClient<{ data?: { principal?: Principal } }>().data
          ?.principal;
      case 'rpc':
        return rpcPrincipalOf(context.switchToRpc().getContext());
      case 'http':
      default: // graphql and others have no principal here yet
        return context.switchToHttp().getRequest<{ user?: Principal }>().user;
    }
  },
);
