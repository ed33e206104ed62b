import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '@tokenfence/revocation-guard';
import { AuthError } from '../errors/auth-error.js';

/** After {@link BearerAuthGuard}: the caller's token must carry the `admin` scope. */
@Injectable()
export class AdminScopeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!principal?.scopes.includes('admin')) {
      throw new AuthError('INSUFFICIENT_SCOPE', 'This route needs the "admin" scope.');
    }
    return true;
  }
}
