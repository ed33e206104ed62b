import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors, TOKEN_ERRORS } from '../http/api-errors.decorator.js';
import { CurrentPrincipal } from '@tokenfence/revocation-guard';
import type { SessionPrincipal } from './session-principal.js';
import type { Request } from 'express';
import type { IssuedTokens } from '../keys/token-issuer.js';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';
import { clientInfoOf } from './client-info.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { FIRST_PARTY_CLIENT_ID } from '../config/auth-config.js';
import { basicCredentials, ClientAuthenticator } from '../oauth/client-authenticator.js';
import { parseScope } from '../oauth/client-scopes.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly clients: ClientAuthenticator,
    private readonly sessions: SessionsService,
  ) {}

  @Post('register')
  @UseGuards(RateLimitGuard)
  @RateLimit('register')
  @ApiCreatedResponse({ description: '`{id}` of the new user' })
  @ApiErrors(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'PAYLOAD_TOO_LARGE',
    'USERNAME_TAKEN',
    'RATE_LIMITED',
  )
  register(@Body() body: RegisterDto): Promise<{ id: string }> {
    return this.auth.register(body.username, body.password);
  }

  @Post('login')
  @HttpCode(200)
  @UseGuards(RateLimitGuard)
  @RateLimit('login')
  @ApiOkResponse({ description: '`{access_token, refresh_token, token_type, expires_in, scope}`' })
  @ApiErrors(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'SCOPE_NOT_ALLOWED',
    'INVALID_CREDENTIALS',
    'INVALID_CLIENT',
    'RATE_LIMITED',
    'LOGIN_LOCKED',
    'CUTOFF_IN_FUTURE',
  )
  login(@Body() body: LoginDto, @Req() req: Request): Promise<IssuedTokens> {
    // The same client authentication as at refresh; the service's own login by default.
    const client =
      this.clients.authenticateIfPresented(basicCredentials(req), body) ??
      this.clients.authenticate(undefined, { client_id: FIRST_PARTY_CLIENT_ID });
    return this.auth.login(body.username, body.password, clientInfoOf(req), {
      client,
      requestedScopes: body.scope === undefined ? undefined : parseScope(body.scope),
    });
  }

  @Post('refresh')
  @HttpCode(200)
  @UseGuards(RateLimitGuard)
  @RateLimit('refresh')
  @ApiBasicAuth('client')
  @ApiOkResponse({ description: 'A new pair (the same successor within the grace window)' })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_GRANT',
    'INVALID_CLIENT',
    'INVALID_REFRESH_TOKEN',
    'REFRESH_TOKEN_REUSED',
    'RATE_LIMITED',
    'CUTOFF_IN_FUTURE',
  )
  refresh(@Body() body: RefreshDto, @Req() req: Request): Promise<IssuedTokens> {
    // A confidential client authenticates as at the token endpoint: Basic or client_secret_post.
    const client = this.clients.authenticateIfPresented(basicCredentials(req), body);
    return this.auth.refresh(body.refresh_token, client);
  }

  @Post('password')
  @HttpCode(204)
  @RateLimit('password')
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Changed; every other session is revoked' })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'RATE_LIMITED', ...TOKEN_ERRORS)
  // The caller first: the per-user limit counts them.
  @UseGuards(BearerAuthGuard, RateLimitGuard)
  changePassword(
    @CurrentPrincipal() principal: SessionPrincipal,
    @Body() body: ChangePasswordDto,
  ): Promise<void> {
    return this.auth.changePassword(principal, body.current_password, body.new_password);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The session is revoked everywhere' })
  @ApiErrors(...TOKEN_ERRORS)
  @UseGuards(BearerAuthGuard)
  logout(@CurrentPrincipal() principal: SessionPrincipal): Promise<void> {
    return this.sessions.logout(principal);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Every session of the user is revoked everywhere' })
  @ApiErrors(...TOKEN_ERRORS)
  @UseGuards(BearerAuthGuard)
  logoutAll(@CurrentPrincipal() principal: SessionPrincipal): Promise<void> {
    return this.auth.logoutAll(principal);
  }
}
