import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type HttpException } from '@nestjs/common';
import {
  AUTH_CONFIG,
  FIRST_PARTY_CLIENT_ID,
  type AuthConfig,
  type OAuthClient,
  type OAuthGrantType,
} from '../config/auth-config.js';
import type { AllowedScopes } from './client-scopes.js';
import { oauthError } from './oauth-error.js';

export interface AuthenticatedClient {
  readonly clientId: string;
  readonly confidential: boolean;
  readonly allowedScopes: AllowedScopes;
  /** Audiences whose access tokens it may introspect as a resource server. */
  readonly introspectAudiences: readonly string[];
  /** The grants it may use at the token endpoint. */
  readonly grantTypes: readonly OAuthGrantType[];
  /** Its browser origins (a public client's), for CORS. */
  readonly allowedOrigins: readonly string[];
}

/** The request fields of `client_secret_post` (and of a public client naming itself). */
export interface ClientCredentialFields {
  readonly client_id?: string;
  readonly client_secret?: string;
}

/** Whether an Authorization header uses the Basic scheme (RFC 7617). */
export const isBasicScheme = (authorization: string | undefined): boolean =>
  /^\s*basic\b/i.test(authorization ?? '');

/**
 * The request's Authorization header when it carries client credentials (Basic). Another scheme,
 * such as a first-party app sending its bearer token along, is no client credential.
 */
export function basicCredentials(req: {
  headers: { authorization?: string | undefined };
}): string | undefined {
  const authorization = req.headers.authorization;
  return isBasicScheme(authorization) ? authorization : undefined;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** RFC 6749 section 2.3.1: Basic id and secret are form-encoded; bad encoding is invalid_client. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw oauthError(401, 'invalid_client', 'Malformed Basic credentials.');
  }
}

/**
 * OAuth client authentication: `client_secret_basic`, `client_secret_post`, or a public client
 * by `client_id` alone. Secrets are compared in constant time against their SHA-256.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly clients: Map<string, OAuthClient>;

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    this.clients = new Map(config.clients.map((c) => [c.clientId, c]));
    if (!this.clients.has(FIRST_PARTY_CLIENT_ID)) {
      this.clients.set(FIRST_PARTY_CLIENT_ID, {
        clientId: FIRST_PARTY_CLIENT_ID,
        secretSha256: undefined,
        allowedScopes: undefined,
        introspectAudiences: [],
        grantTypes: ['refresh_token'],
        redirectUris: [],
        allowedOrigins: [],
        name: FIRST_PARTY_CLIENT_ID,
      });
    }
  }

  /** A configured client (or the built-in first-party one) by id, without authenticating it. */
  find(clientId: string): OAuthClient | undefined {
    return this.clients.get(clientId);
  }

  /**
   * The client a request presented credentials for (a Basic header, `client_secret_post`, or a
   * public client's `client_id`), or `undefined` when it presented none at all. Bad credentials
   * are 401 invalid_client whatever the grant.
   */
  authenticateIfPresented(
    authorization: string | undefined,
    body: ClientCredentialFields,
  ): AuthenticatedClient | undefined {
    if (
      authorization === undefined &&
      body.client_id === undefined &&
      body.client_secret === undefined
    ) {
      return undefined;
    }
    return this.authenticate(authorization, body);
  }

  /**
   * RFC 6749 section 6: may `presented` (see {@link authenticateIfPresented}) use a grant, such
   * as a refresh token, issued to `grantClientId`? A confidential client must authenticate
   * (401 invalid_client); an authenticated client other than the grant's is refused with 400
   * invalid_grant (section 5.2). Returns the refusal, or `undefined` when the client may go on.
   * Checked before the grant is spent, so a refused attempt spends nothing.
   */
  refusalForGrant(
    presented: AuthenticatedClient | undefined,
    grantClientId: string,
  ): HttpException | undefined {
    if (presented === undefined) {
      return this.clients.get(grantClientId)?.secretSha256 === undefined
        ? undefined
        : oauthError(401, 'invalid_client', 'Client authentication is required.');
    }
    return presented.clientId === grantClientId
      ? undefined
      : oauthError(400, 'invalid_grant', 'The grant was issued to another client.');
  }

  authenticate(
    authorization: string | undefined,
    body: ClientCredentialFields,
  ): AuthenticatedClient {
    let clientId = body.client_id;
    let secret = body.client_secret;
    if (authorization !== undefined) {
      const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization.trim());
      if (!basic?.[1] || clientId !== undefined) {
        throw oauthError(401, 'invalid_client', 'Use exactly one client authentication method.');
      }
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw oauthError(401, 'invalid_client', 'Malformed Basic credentials.');
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    }
    if (!clientId) throw oauthError(401, 'invalid_client', 'Client authentication is required.');
    const client = this.clients.get(clientId);
    if (!client) throw oauthError(401, 'invalid_client', 'Unknown client or wrong secret.');
    if (client.secretSha256 === undefined) {
      if (secret !== undefined)
        throw oauthError(401, 'invalid_client', 'Unknown client or wrong secret.');
      return authenticated(client, false);
    }
    const expected = Buffer.from(client.secretSha256, 'base64url');
    if (secret === undefined || !timingSafeEqual(sha256(secret), expected)) {
      throw oauthError(401, 'invalid_client', 'Unknown client or wrong secret.');
    }
    return authenticated(client, true);
  }
}

const authenticated = (client: OAuthClient, confidential: boolean): AuthenticatedClient => ({
  clientId: client.clientId,
  confidential,
  allowedScopes: client.allowedScopes,
  introspectAudiences: client.introspectAudiences,
  grantTypes: client.grantTypes,
  allowedOrigins: client.allowedOrigins,
});
