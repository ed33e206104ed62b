import { Controller, Delete, Get, HttpCode, Param, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors, TOKEN_ERRORS } from '../http/api-errors.decorator.js';
import { CurrentPrincipal } from '@tokenfence/revocation-guard';
import type { SessionPrincipal } from '../auth/session-principal.js';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { SessionsService, type SessionListItem } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiErrors(...TOKEN_ERRORS)
@Controller('auth/sessions')
@UseGuards(BearerAuthGuard)
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  list(@CurrentPrincipal() principal: SessionPrincipal): Promise<{ sessions: SessionListItem[] }> {
    return this.sessions.list(principal);
  }

  @Delete(':sid')
  @HttpCode(204)
  @ApiErrors('NOT_FOUND')
  revoke(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Param('sid') sid: string,
  ): Promise<void> {
    return this.sessions.revoke(principal, sid);
  }
}
