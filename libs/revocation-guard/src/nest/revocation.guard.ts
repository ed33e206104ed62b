import {
  Inject,
  Injectable,
  Optional,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { contextUnsupported, GuardError } from '../core/guard-error.js';
import type { RouteRules } from '../core/route-requirements.js';
import type { FreshnessRequirement } from '../core/stale-policy.js';
import { GUARD_BODY_OPTIONS, type GuardBodyOptions } from './guard-http-exception.js';
import {
  graphqlTransport,
  httpTransport,
  socketTransport,
  unsupportedContextRefusal,
  type GuardTransport,
} from './guard-transport.js';
import {
  loadGraphQLContextOf,
  loadMicroservices,
  loadRpcException,
  loadWsException,
} from './optional-peers.js';
import { IS_PUBLIC_KEY, isPublicTarget, PUBLIC_METADATA_KEYS } from './public.decorator.js';
import {
  MAX_LOGIN_AGE_KEY,
  REQUIRED_SCOPES_KEY,
  ROUTE_FRESHNESS_KEY,
} from './route-requirements.decorators.js';
import {
  GUARD_MICROSERVICES_OPTIONS,
  type ResolvedMicroservicesOptions,
} from './revocation-guard.options.js';
import { expiryCheckTimeMs, rpcContextInfo, rpcTransport, RpcRefusals } from './rpc-transport.js';
import { SocketCredentials } from './socket-credentials.js';
import type { VerifyOptions } from '../core/token-verifier.js';

const NOW_MICROSERVICES: ResolvedMicroservicesOptions = {
  tokenExtractor: undefined,
  checkExpiryAt: 'now',
  maxMessageAgeSeconds: 0,
};

/**
 * Global guard: every route, every GraphQL resolver, every message of a socket.io gateway, and
 * every microservice message over Kafka or TCP needs a valid, unrevoked access token unless
 * marked `@Public()`. It reads the handler's and class's metadata, takes the credential from the
 * context (its transport) and delegates the rules, the same for every transport, to
 * {@link AccessTokenAuthenticator.authorize}. Other contexts (other microservice transports, ...)
 * are refused with `GUARD_CONTEXT_UNSUPPORTED`, and named in a start-up warning
 * ({@link UnsupportedContextWarnings}).
 */
@Injectable()
export class RevocationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: AccessTokenAuthenticator,
    private readonly socketCredentials: SocketCredentials,
    @Optional()
    @Inject(GUARD_BODY_OPTIONS)
    private readonly bodyOptions: GuardBodyOptions = {},
    @Optional()
    @Inject(GUARD_MICROSERVICES_OPTIONS)
    private readonly microservices: ResolvedMicroservicesOptions = NOW_MICROSERVICES,
    @Optional()
    private readonly rpcRefusals: RpcRefusals = new RpcRefusals(),
    @Optional()
    @Inject(PUBLIC_METADATA_KEYS)
    private readonly publicKeys: readonly (string | symbol)[] = [IS_PUBLIC_KEY],
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (
      isPublicTarget(this.reflector, this.publicKeys, [context.getHandler(), context.getClass()])
    ) {
      return true;
    }
    const { transport, verify } = (await this.transportFor(context)) ?? {};
    if (transport === undefined) {
      const type = context.getType<string>();
      const RpcException = type === 'rpc' ? await loadRpcException() : undefined;
      throw unsupportedContextRefusal(
        contextUnsupported(type === 'rpc' ? 'rpc (other than Kafka and TCP)' : type),
        RpcException,
        this.bodyOptions,
      );
    }
    try {
      transport.accept(
        await this.authenticator.authorize(transport.authorization, this.rules(context), verify),
      );
      return true;
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      throw transport.refuse(err);
    }
  }

  private async transportFor(
    context: ExecutionContext,
  ): Promise<{ transport: GuardTransport; verify?: VerifyOptions } | undefined> {
    switch (context.getType<string>()) {
      case 'http':
        return { transport: httpTransport(context, this.bodyOptions) };
      case 'ws':
        return {
          transport: socketTransport(context, this.socketCredentials, await loadWsException()),
        };
      case 'rpc': {
        const peer = await loadMicroservices();
        const message = rpcContextInfo(context, peer);
        if (message === undefined) return undefined; // NATS, Redis, MQTT, RMQ, gRPC, ...
        const expiryAtMs = expiryCheckTimeMs(
          message,
          this.microservices,
          this.authenticator.nowMs(),
        );
        return {
          transport: rpcTransport(
            context,
            message,
            this.microservices,
            peer.RpcException,
            this.rpcRefusals,
          ),
          ...(expiryAtMs === undefined ? {} : { verify: { expiryAtMs } }),
        };
      }
      case 'graphql':
        return { transport: graphqlTransport(context, await loadGraphQLContextOf()) };
      default: // other contexts: not supported yet
        return undefined;
    }
  }

  /** `@RequireScopes`, `@RequireRecentLogin` and `@RequireFreshness` of the handler and class. */
  private rules(context: ExecutionContext): RouteRules {
    const targets = [context.getHandler(), context.getClass()];
    const maxLoginAgeSeconds = this.reflector.getAllAndOverride<number | undefined>(
      MAX_LOGIN_AGE_KEY,
      targets,
    );
    const freshness = this.reflector.getAllAndOverride<FreshnessRequirement | undefined>(
      ROUTE_FRESHNESS_KEY,
      targets,
    );
    return {
      scopes: this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES_KEY, targets),
      ...(maxLoginAgeSeconds === undefined ? {} : { maxLoginAgeSeconds }),
      ...(freshness === undefined ? {} : { freshness }),
    };
  }
}
