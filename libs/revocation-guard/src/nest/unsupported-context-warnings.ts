import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from './public.decorator.js';

/**
 * Method metadata that marks a handler of a context the guard does not support yet, and that
 * context's type: `@MessagePattern`/`@EventPattern` (`@nestjs/microservices`). Read by key, so
 * the package is not needed here. GraphQL resolvers are supported (not listed).
 */
const UNSUPPORTED_CONTEXTS: readonly (readonly [metadataKey: string, type: string])[] = [
  ['microservices:pattern', 'rpc'],
];

/**
 * Installed with the global guard: at application bootstrap, warns once per handler the guard
 * will refuse with `GUARD_CONTEXT_UNSUPPORTED` (a microservice handler not marked `@Public()`), naming it `Class.handler` and its context type.
 */
@Injectable()
export class UnsupportedContextWarnings implements OnApplicationBootstrap {
  private readonly logger = new Logger('RevocationGuard');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    for (const line of this.unsupportedHandlers()) {
      this.logger.warn(
        `${line} is refused with GUARD_CONTEXT_UNSUPPORTED: the guard supports HTTP, ` +
          'GraphQL and socket.io only; mark it @Public() or set globalGuard: false.',
      );
    }
  }

  /** `Class.handler (type)` of every guarded handler of an unsupported context, once each. */
  unsupportedHandlers(): string[] {
    const found = new Set<string>();
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
        const context = UNSUPPORTED_CONTEXTS.find(([key]) => Reflect.hasMetadata(key, method));
        if (context === undefined) continue;
        const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
          method,
          metatype,
        ]);
        if (isPublic !== true) found.add(`${metatype.name}.${name} (${context[1]})`);
      }
    }
    return [...found];
  }
}
