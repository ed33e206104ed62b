import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../core/principal.js';
import { loadedGraphQLContextOf } from './optional-peers.js';
import { rpcPrincipalOf } from './rpc-transport.js';

/**
 * Injects the verified {@link Principal}: of the request over HTTP and in a GraphQL resolver
 * (`req.user` of the GraphQL context), of the socket in a WebSocket gateway, of the message in a
 * microservice handler (undefined on a `@Public()` route).
 */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined => {
    switch (context.getType<string>()) {
      case 'ws':
        return context.switchToWs().getClient<{ data?: { principal?: Principal } }>().data
          ?.principal;
      case 'rpc':
        return rpcPrincipalOf(context.switchToRpc().getContext());
      case 'graphql': {
        // Loaded by the guard before a guarded resolver runs; a public one has no principal.
        const gqlContext = loadedGraphQLContextOf()?.(context) as
          { req?: { user?: Principal } } | undefined;
        return gqlContext?.req?.user;
      }
      default:
        return context.switchToHttp().getRequest<{ user?: Principal }>().user;
    }
  },
);
