import { Controller, Get } from '@nestjs/common';
import {
  CurrentPrincipal,
  Public,
  RequireScopes,
  type Principal,
} from '@tokenfence/revocation-guard';

@Controller()
export class MeController {
  @Public() @Get() hello() {
    return 'Hello World!';
  }
  @Get('me') me(@CurrentPrincipal() p: Principal) {
    return { sub: p.sub, scopes: p.scopes };
  }
  @Get('orders') @RequireScopes('orders:read') orders(@CurrentPrincipal() p: Principal) {
    return { owner: p.sub, orders: [] };
  }
  @Get('admin') @RequireScopes('admin') admin() {
    return { admin: true };
  }
}
