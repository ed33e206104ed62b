import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors, TOKEN_ERRORS } from '../http/api-errors.decorator.js';
import {
  Controller,
  DefaultValuePipe,
  Get,
  HttpCode,
  Param,
  ParseEnumPipe,
  ParseIntPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { CurrentPrincipal, type Principal } from '@tokenfence/revocation-guard';
import { BearerAuthGuard } from '../auth/bearer-auth.guard.js';
import { AdminScopeGuard } from './admin-scope.guard.js';
import { AdminService, type AuditEntry } from './admin.service.js';
import type { KeyPurpose } from '../keys/signing-keys.js';

const KEY_PURPOSES: Record<KeyPurpose, KeyPurpose> = { token: 'token', event: 'event' };

/**
 * The admin endpoints a signals hub keeps too: client cutoffs, the global cutoff, keys, the
 * topic and the audit log. Those about local users are {@link AdminUsersController}'s.
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('INSUFFICIENT_SCOPE', 'NOT_FOUND', 'VALIDATION_FAILED', ...TOKEN_ERRORS)
@Controller('admin')
@UseGuards(BearerAuthGuard, AdminScopeGuard)
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  /** Client cutoff: every client-credentials token of the client issued until now. */
  @Post('clients/:client_id/revoke-tokens')
  @HttpCode(204)
  revokeClientTokens(
    @CurrentPrincipal() admin: Principal,
    @Param('client_id') clientId: string,
  ): Promise<void> {
    return this.admin.revokeClientTokens(admin, clientId);
  }

  @Post('revoke-all')
  @HttpCode(204)
  revokeAll(@CurrentPrincipal() admin: Principal): Promise<void> {
    return this.admin.revokeAll(admin);
  }

  /** `?purpose=event` rotates the event key; the access-token key otherwise. */
  @Post('keys/rotate')
  @HttpCode(200)
  rotateKey(
    @CurrentPrincipal() admin: Principal,
    @Query('purpose', new ParseEnumPipe(KEY_PURPOSES, { optional: true })) purpose?: KeyPurpose,
  ): Promise<{ kid: string; activates_at: string }> {
    return this.admin.rotateKey(admin, purpose);
  }

  @Post('keys/:kid/revoke')
  @HttpCode(204)
  revokeKey(@CurrentPrincipal() admin: Principal, @Param('kid') kid: string): Promise<void> {
    return this.admin.revokeKey(admin, kid);
  }

  @Post('topic/snapshot')
  @HttpCode(202)
  async requestSnapshot(@CurrentPrincipal() admin: Principal): Promise<{ requested: true }> {
    await this.admin.requestSnapshot(admin);
    return { requested: true };
  }

  @Get('audit')
  audit(
    @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number,
  ): Promise<{ entries: AuditEntry[] }> {
    return this.admin.audit(Math.min(Math.max(limit, 1), 1000));
  }
}
