import { Body, Controller, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@tokenfence/revocation-guard';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { ApiErrors, TOKEN_ERRORS } from '../http/api-errors.decorator.js';
import { AdminScopeGuard } from './admin-scope.guard.js';
import { ChangeScopesDto } from './admin.dto.js';
import { AdminService } from './admin.service.js';

/** The admin endpoints about local users: not served by a signals hub, which has none. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('INSUFFICIENT_SCOPE', 'NOT_FOUND', 'VALIDATION_FAILED', ...TOKEN_ERRORS)
@Controller('admin')
@UseGuards(BearerAuthGuard, AdminScopeGuard)
export class AdminUsersController {
  constructor(private readonly admin: AdminService) {}

  @Post('users/:id/disable')
  @HttpCode(204)
  disable(@CurrentPrincipal() admin: Principal, @Param('id') id: string): Promise<void> {
    return this.admin.disableUser(admin, id);
  }

  @Post('users/:id/enable')
  @HttpCode(204)
  enable(@CurrentPrincipal() admin: Principal, @Param('id') id: string): Promise<void> {
    return this.admin.enableUser(admin, id);
  }

  @Post('users/:id/revoke-sessions')
  @HttpCode(204)
  revokeSessions(@CurrentPrincipal() admin: Principal, @Param('id') id: string): Promise<void> {
    return this.admin.revokeSessions(admin, id);
  }

  @Put('users/:id/scopes')
  @HttpCode(204)
  changeScopes(
    @CurrentPrincipal() admin: Principal,
    @Param('id') id: string,
    @Body() body: ChangeScopesDto,
  ): Promise<void> {
    return this.admin.changeScopes(admin, id, body.scope);
  }
}
