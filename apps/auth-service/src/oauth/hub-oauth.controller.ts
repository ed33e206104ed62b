import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiConsumes, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { basicCredentials, ClientAuthenticator } from './client-authenticator.js';
import { ClientCredentialsGrant, type ClientAccessToken } from './client-credentials.grant.js';
import { authorizationServerMetadata, HUB_OAUTH_ENDPOINTS } from './oauth-endpoints.js';
import { oauthError } from './oauth-error.js';
import { formTokenRequest } from './token-request.js';

/**
 * A signals hub's OAuth endpoints (`AUTH_MODE=signals-hub`), in place of {@link OAuthController}
 * and the authorization endpoint: the token endpoint for the client credentials grant alone (a
 * confidential client's own token, such as an operator's automation with the `admin` scope),
 * and metadata advertising exactly that.
 */
@ApiTags('oauth')
@Controller()
export class HubOAuthController {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly clients: ClientAuthenticator,
    private readonly clientCredentials: ClientCredentialsGrant,
  ) {}

  /** RFC 6749 section 4.4; any other grant is 400 unsupported_grant_type. */
  @Post(HUB_OAUTH_ENDPOINTS.token.path)
  @UseGuards(RateLimitGuard)
  @RateLimit('token')
  @ApiErrors('RATE_LIMITED')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBasicAuth('client')
  @ApiOkResponse({ description: '`{access_token, token_type, expires_in, scope}`' })
  @ApiResponse({
    status: 400,
    description:
      '`error`: invalid_request, unauthorized_client, unsupported_grant_type, invalid_scope',
  })
  @ApiResponse({ status: 401, description: '`error`: invalid_client' })
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async token(@Req() req: Request, @Body() body: unknown): Promise<ClientAccessToken> {
    const request = formTokenRequest(req, body);
    if (request.grant_type !== 'client_credentials') {
      throw oauthError(
        400,
        'unsupported_grant_type',
        'This server issues tokens by the client_credentials grant only.',
      );
    }
    const client = this.clients.authenticate(basicCredentials(req), request);
    return this.clientCredentials.issue(client, request.scope);
  }

  /** RFC 8414 metadata: the token endpoint, its grant and its client auth methods. */
  @Get('.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  metadata(): Record<string, unknown> {
    const scopes = [...new Set(this.config.clients.flatMap((c) => c.allowedScopes ?? []))];
    return authorizationServerMetadata(
      { ...this.config, defaultScope: scopes.join(' ') },
      HUB_OAUTH_ENDPOINTS,
    );
  }
}
