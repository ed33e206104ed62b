import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, Public, type Principal } from '@tokenfence/revocation-guard';

@Controller()
export class MeController {
  /** Guarded by default: the global guard has already verified the token and the denylist. */
  @Get('me')
  me(@CurrentPrincipal() principal: Principal): Pick<Principal, 'sub' | 'sid' | 'jti'> & {
    scope: string;
  } {
    const { sub, sid, jti, scopes } = principal;
    return { sub, sid, jti, scope: scopes.join(' ') };
  }

  @Public()
  @Get('public')
  public(): { service: string; message: string } {
    return { service: 'orders-service', message: 'No token needed here.' };
  }
}
