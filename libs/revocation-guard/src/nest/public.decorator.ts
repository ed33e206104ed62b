import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'tokenfence:isPublic';

/** Opts a route (or a whole controller) out of the global guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
