import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, Public, type Principal } from '@tokenfence/revocation-guard';

@Controller()
export class PlayerController {
  @Get('me')
  me(@CurrentPrincipal() player: Principal): {
    sub: string;
    sid: string | undefined;
    jti: string | undefined;
    scope: string;
  } {
    return { sub: player.sub, sid: player.sid, jti: player.jti, scope: player.scopes.join(' ') };
  }

  @Public()
  @Get('public')
  lobby(): { service: string; message: string } {
    return { service: 'game-service', message: 'The lobby is open to everyone.' };
  }
}
