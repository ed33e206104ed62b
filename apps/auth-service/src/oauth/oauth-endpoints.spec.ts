import { describe, expect, it } from '@jest/globals';
import type { OAuthClient } from '../config/auth-config.js';
import { authorizationServerMetadata, OAUTH_ENDPOINTS, oauthEndpoints } from './oauth-endpoints.js';

const config = {
  issuer: 'https://auth.example.com',
  defaultScope: 'profile orders:read',
  signingAlgorithm: 'ES256',
} as const;

describe('RFC 8414 metadata, from the endpoint table', () => {
  it('advertises the endpoints of the table and nothing else', () => {
    expect(authorizationServerMetadata(config)).toEqual({
      issuer: 'https://auth.example.com',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      authorization_endpoint: 'https://auth.example.com/oauth/authorize',
      revocation_endpoint: 'https://auth.example.com/oauth/revoke',
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ],
      token_endpoint: 'https://auth.example.com/oauth/token',
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint: 'https://auth.example.com/oauth/introspect',
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes_supported: ['profile', 'orders:read'],
      access_token_signing_alg_values_supported: ['ES256'],
    });
  });

  it('advertises PKCE methods and the iss parameter once an authorization endpoint has them', () => {
    const { revocation } = OAUTH_ENDPOINTS;
    expect(authorizationServerMetadata(config, { revocation })).not.toHaveProperty(
      'code_challenge_methods_supported',
    );
    const metadata = authorizationServerMetadata(config, {
      revocation,
      authorization: {
        path: '/oauth/authorize',
        responseTypes: ['code'],
        codeChallengeMethods: ['S256'],
      },
    });
    expect(metadata).toMatchObject({
      authorization_endpoint: 'https://auth.example.com/oauth/authorize',
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      grant_types_supported: [],
    });
  });
});

describe('a signals hub (AUTH_MODE=signals-hub)', () => {
  const worker = { grantTypes: ['client_credentials'] } as unknown as OAuthClient;

  it('serves and advertises the token endpoint for client credentials alone', () => {
    expect(oauthEndpoints({ mode: 'full', clients: [] })).toBe(OAUTH_ENDPOINTS);
    const hub = oauthEndpoints({ mode: 'signals-hub', clients: [worker] });
    expect(authorizationServerMetadata(config, hub)).toEqual({
      issuer: 'https://auth.example.com',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      token_endpoint: 'https://auth.example.com/oauth/token',
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      response_types_supported: [],
      grant_types_supported: ['client_credentials'],
      scopes_supported: ['profile', 'orders:read'],
      access_token_signing_alg_values_supported: ['ES256'],
    });
  });

  it('serves no OAuth endpoint while no client may use client credentials', () => {
    expect(oauthEndpoints({ mode: 'signals-hub', clients: [] })).toEqual({});
  });
});
