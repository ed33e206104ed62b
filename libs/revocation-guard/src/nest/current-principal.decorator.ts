import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../core/principal.js';

/** Injects the verified {@link Principal} of the request (undefined on a `@Public()` route). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined =>
    context.switchToHttp().getRequest<{ user?: Principal }>().user,
);
