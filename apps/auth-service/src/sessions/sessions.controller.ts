import { Controller, Delete, Get, HttpCode, Param, UseGuards } from '@nestjs/common';
import { CurrentPrincipal, type Principal } from '@tokenfence/revocation-guard';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { SessionsService, type SessionListItem } from './sessions.service.js';

@Controller('auth/sessions')
@UseGuards(BearerAuthGuard)
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  list(@CurrentPrincipal() principal: Principal): Promise<{ sessions: SessionListItem[] }> {
    return this.sessions.list(principal);
  }

  @Delete(':sid')
  @HttpCode(204)
  revoke(@CurrentPrincipal() principal: Principal, @Param('sid') sid: string): Promise<void> {
    return this.sessions.revoke(principal, sid);
  }
}
