import { Body, Controller, Get, Header, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiConsumes, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Inject } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { authorizationServerMetadata, OAUTH_ENDPOINTS } from './oauth-endpoints.js';
import { oauthError } from './oauth-error.js';
import { OAuthTokenRequestDto } from './oauth.dto.js';
import { OAuthTokensService, type IntrospectionResponse } from './oauth-tokens.service.js';

@ApiTags('oauth')
@Controller()
export class OAuthController {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly clients: ClientAuthenticator,
    private readonly tokens: OAuthTokensService,
  ) {}

  /** RFC 7009: 200 whether or not the token was known or already revoked. */
  @Post(OAUTH_ENDPOINTS.revocation.path)
  @UseGuards(RateLimitGuard)
  @RateLimit('revoke')
  @ApiErrors('RATE_LIMITED')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBasicAuth('client')
  @ApiOkResponse({ description: 'Revoked, unknown or already revoked: always 200 (RFC 7009)' })
  @ApiResponse({ status: 401, description: '`error`: invalid_client' })
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async revoke(@Req() req: Request, @Body() body: OAuthTokenRequestDto): Promise<void> {
    const client = this.clients.authenticate(req.headers.authorization, body);
    await this.tokens.revoke(body.token, client);
  }

  /** RFC 7662, for confidential clients only, about their own tokens or their audience's. */
  @Post(OAUTH_ENDPOINTS.introspection.path)
  @UseGuards(RateLimitGuard)
  @RateLimit('introspect')
  @ApiErrors('RATE_LIMITED')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBasicAuth('client')
  @ApiOkResponse({ description: '`{active: true, ...claims}` or `{active: false}` (RFC 7662)' })
  @ApiResponse({ status: 401, description: '`error`: invalid_client (confidential clients only)' })
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  introspect(
    @Req() req: Request,
    @Body() body: OAuthTokenRequestDto,
  ): Promise<IntrospectionResponse> {
    const client = this.clients.authenticate(req.headers.authorization, body);
    if (!client.confidential) {
      throw oauthError(401, 'invalid_client', 'Introspection needs a confidential client.');
    }
    return this.tokens.introspect(body.token, client);
  }

  /** RFC 8414 metadata; `issuer` is exactly the URL this document is served under. */
  @Get('.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  metadata(): Record<string, unknown> {
    return authorizationServerMetadata(this.config);
  }
}
