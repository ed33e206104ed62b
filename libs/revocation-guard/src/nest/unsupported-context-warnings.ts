import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, isPublicTarget, PUBLIC_METADATA_KEYS } from './public.decorator.js';

/** `@MessagePattern`/`@EventPattern` (`@nestjs/microservices`), read by key. */
const PATTERN_METADATA = 'microservices:pattern';
/** The transport a pattern handler is bound to (`@MessagePattern(pattern, Transport.NATS)`). */
const TRANSPORT_METADATA = 'microservices:transport';
/** `Transport.TCP` and `Transport.KAFKA` of `@nestjs/microservices`: the ones the guard checks. */
const SUPPORTED_TRANSPORTS: readonly unknown[] = [0, 6];
const TRANSPORT_NAMES: Readonly<Record<number, string>> = {
  1: 'REDIS',
  2: 'NATS',
  3: 'MQTT',
  4: 'GRPC',
  5: 'RMQ',
};
/** A custom transport's id (a symbol), for the warning. */
const describeTransport = (transport: unknown): string =>
  typeof transport === 'symbol' ? transport.toString() : JSON.stringify(transport);

/** A guarded microservice handler the start-up report names. */
interface GuardedHandler {
  /** `Class.handler`. */
  readonly name: string;
  /** The transport it is bound to, when it names one the guard does not check. */
  readonly unsupportedTransport?: string;
}

/**
 * Installed with the global guard. At application bootstrap it warns once per handler the guard
 * will refuse with `GUARD_CONTEXT_UNSUPPORTED` (a microservice handler bound to a transport other
 * than Kafka and TCP, not marked `@Public()`), naming it `Class.handler`, its context type and
 * transport; and, in a hybrid app (HTTP plus `connectMicroservice`) with guarded microservice
 * handlers, that the global guard reaches them only when the microservice inherits the app's
 * configuration. GraphQL resolvers are supported (not listed).
 */
@Injectable()
export class UnsupportedContextWarnings implements OnApplicationBootstrap {
  private readonly logger = new Logger('RevocationGuard');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Optional() private readonly httpAdapterHost?: HttpAdapterHost,
    @Optional()
    @Inject(PUBLIC_METADATA_KEYS)
    private readonly publicKeys: readonly (string | symbol)[] = [IS_PUBLIC_KEY],
  ) {}

  onApplicationBootstrap(): void {
    for (const line of this.unsupportedHandlers()) {
      this.logger.warn(
        `${line} is refused with GUARD_CONTEXT_UNSUPPORTED: the guard supports HTTP (Express, ` +
          'Fastify), socket.io, GraphQL (Apollo) and microservices over Kafka and TCP only; ' +
          'mark it @Public() or set globalGuard: false.',
      );
    }
    const rpc = this.guardedHandlers().filter((h) => h.unsupportedTransport === undefined);
    // A standalone microservice has an HttpAdapterHost too, with a null adapter.
    const isHybrid = (this.httpAdapterHost?.httpAdapter ?? undefined) !== undefined;
    if (rpc.length > 0 && isHybrid) {
      this.logger.warn(
        `hybrid app: the global guard checks the microservice handlers ` +
          `${rpc.map((h) => h.name).join(', ')} only when the microservice is connected with ` +
          'app.connectMicroservice(options, { inheritAppConfig: true }); without it Nest runs ' +
          'them unguarded. Add it, or @UseGuards(RevocationGuard) on their controllers.',
      );
    }
  }

  /** `Class.handler (type)` of every guarded handler the guard refuses for its context, once each. */
  unsupportedHandlers(): string[] {
    return this.guardedHandlers()
      .filter((h) => h.unsupportedTransport !== undefined)
      .map((h) => `${h.name} (rpc, ${h.unsupportedTransport})`);
  }

  /** Every microservice handler not marked `@Public()`, once each. */
  private guardedHandlers(): GuardedHandler[] {
    const found = new Map<string, GuardedHandler>();
    const seen = new Set<unknown>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const metatype = wrapper.metatype;
      if (typeof metatype !== 'function' || seen.has(metatype)) continue;
      seen.add(metatype);
      const prototype = metatype.prototype as Record<string, unknown> | undefined;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = prototype[name];
        if (typeof method !== 'function') continue;
        if (!Reflect.hasMetadata(PATTERN_METADATA, method)) continue;
        if (isPublicTarget(this.reflector, this.publicKeys, [method, metatype])) continue;
        const transport: unknown = Reflect.getMetadata(TRANSPORT_METADATA, method);
        const unsupportedTransport =
          transport !== undefined && !SUPPORTED_TRANSPORTS.includes(transport)
            ? (TRANSPORT_NAMES[transport as number] ?? describeTransport(transport))
            : undefined;
        const handlerName = `${metatype.name}.${name}`;
        found.set(handlerName, {
          name: handlerName,
          ...(unsupportedTransport === undefined ? {} : { unsupportedTransport }),
        });
      }
    }
    return [...found.values()];
  }
}
