import { Body, Controller, Get, Header, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Inject } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { ApiErrors } from '../http/api-errors.decorator.js';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { AuthService } from '../auth/auth.service.js';
import { clientInfoOf } from '../auth/client-info.js';
import { AuthError } from '../errors/auth-error.js';
import type { IssuedTokens } from '../keys/token-issuer.js';
import {
  basicCredentials,
  ClientAuthenticator,
  type AuthenticatedClient,
} from './client-authenticator.js';
import { AuthorizationCodes } from './authorization-codes.js';
import { ClientCredentialsGrant, type ClientAccessToken } from './client-credentials.grant.js';
import { refuseForeignOrigin } from './cors.js';
import { formTokenRequest } from './token-request.js';
import { authorizationServerMetadata, OAUTH_ENDPOINTS } from './oauth-endpoints.js';
import { oauthError } from './oauth-error.js';
import { OAuthTokenGrantDto, OAuthTokenRequestDto } from './oauth.dto.js';
import { OAuthTokensService, type IntrospectionResponse } from './oauth-tokens.service.js';

@ApiTags('oauth')
@Controller()
export class OAuthController {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly clients: ClientAuthenticator,
    private readonly tokens: OAuthTokensService,
    private readonly auth: AuthService,
    private readonly clientCredentials: ClientCredentialsGrant,
    private readonly codes: AuthorizationCodes,
  ) {}

  /**
   * RFC 6749 section 3.2: the authorization code (with PKCE), refresh token and client
   * credentials grants. Client authentication as at every OAuth endpoint; a refresh spends the
   * token exactly as `POST /auth/refresh` does (the same code). Errors per section 5.2.
   */
  @Post(OAUTH_ENDPOINTS.token.path)
  @UseGuards(RateLimitGuard)
  @RateLimit('token')
  @ApiErrors('RATE_LIMITED', 'CUTOFF_IN_FUTURE')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: OAuthTokenGrantDto })
  @ApiBasicAuth('client')
  @ApiOkResponse({
    description:
      '`{access_token, token_type, expires_in, scope}`, with `refresh_token` but for client credentials',
  })
  @ApiResponse({
    status: 400,
    description:
      '`error`: invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope',
  })
  @ApiResponse({ status: 401, description: '`error`: invalid_client' })
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async token(
    @Req() req: Request,
    // Read by parseTokenRequest, not the validation pipe: unknown parameters are ignored.
    @Body() body: unknown,
  ): Promise<IssuedTokens | ClientAccessToken> {
    const request = formTokenRequest(req, body);
    const client = this.clients.authenticateIfPresented(basicCredentials(req), request);
    refuseForeignOrigin(req, client, this.config.issuer);
    if (client && !client.grantTypes.includes(request.grant_type)) {
      throw oauthError(
        400,
        'unauthorized_client',
        `This client may not use the ${request.grant_type} grant.`,
      );
    }
    switch (request.grant_type) {
      case 'client_credentials':
        return this.clientCredentials.issue(requireClient(client), request.scope);
      case 'refresh_token':
        return this.auth
          .refresh(request.refresh_token, client, request.scope)
          .catch(asInvalidGrant);
      case 'authorization_code':
        return this.codes.exchange(
          {
            code: request.code,
            redirectUri: request.redirect_uri,
            codeVerifier: request.code_verifier,
            device: clientInfoOf(req),
          },
          client,
        );
    }
  }

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
    refuseForeignOrigin(req, client, this.config.issuer);
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

/** A grant only a client that authenticated may use. */
function requireClient(client: AuthenticatedClient | undefined): AuthenticatedClient {
  if (!client) throw oauthError(401, 'invalid_client', 'Client authentication is required.');
  return client;
}

/**
 * A refresh token the service refuses is RFC 6749's invalid_grant (400) here, keeping the
 * precise code (`INVALID_REFRESH_TOKEN`, `REFRESH_TOKEN_REUSED`) beside it.
 */
function asInvalidGrant(err: unknown): never {
  if (
    err instanceof AuthError &&
    (err.code === 'INVALID_REFRESH_TOKEN' || err.code === 'REFRESH_TOKEN_REUSED')
  ) {
    throw oauthError(400, 'invalid_grant', err.message, err.code);
  }
  throw err;
}
