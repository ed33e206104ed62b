import { SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

export const IS_PUBLIC_KEY = 'tokenfence:isPublic';

/** Opts a route (or a whole controller) out of the global guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** The metadata keys that open a handler or class when `true`: ours plus `publicMetadataKeys`. */
export const PUBLIC_METADATA_KEYS = Symbol('tokenfence:publicMetadataKeys');

/** Whether one of `keys` is `true` (exactly) on the handler or, failing that, its class. */
export function isPublicTarget(
  reflector: Reflector,
  keys: readonly (string | symbol)[],
  targets: Parameters<Reflector['getAllAndOverride']>[1],
): boolean {
  return keys.some((key) => reflector.getAllAndOverride<unknown>(key, targets) === true);
}
