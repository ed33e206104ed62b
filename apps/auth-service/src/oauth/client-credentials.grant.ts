import { Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../database/database.js';
import { Inject } from '@nestjs/common';
import { TokenIssuer } from '../keys/token-issuer.js';
import type { AuthenticatedClient } from './client-authenticator.js';
import { scopesNotAllowed } from './client-scopes.js';
import { ClientCutoffs } from './client-cutoffs.js';
import { oauthError } from './oauth-error.js';

/** The answer to a client-credentials request: no refresh token (RFC 6749 section 4.4.3). */
export interface ClientAccessToken {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
}

/**
 * RFC 6749 section 4.4: a confidential client's token for itself (service-to-service calls).
 * `sub` is the client id and there is no session: it is revoked by its `jti`, by its signing
 * key, by the global cutoff, or by the client's cutoff (a `user` revocation of the client id).
 */
@Injectable()
export class ClientCredentialsGrant {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly issuer: TokenIssuer,
    private readonly cutoffs: ClientCutoffs,
  ) {}

  /**
   * `requestedScopes`: the `scope` parameter, or undefined for every scope the client is allowed.
   * A public client, or one not configured for the grant, is 400 unauthorized_client; a scope it
   * is not allowed, 400 invalid_scope.
   */
  async issue(
    client: AuthenticatedClient,
    requestedScopes: readonly string[] | undefined,
  ): Promise<ClientAccessToken> {
    if (!client.confidential || !client.grantTypes.includes('client_credentials')) {
      throw oauthError(
        400,
        'unauthorized_client',
        'This client may not use the client_credentials grant.',
      );
    }
    const allowed = client.allowedScopes ?? [];
    const refused = scopesNotAllowed(requestedScopes ?? [], allowed);
    if (refused.length > 0) {
      throw oauthError(400, 'invalid_scope', `Not allowed for this client: ${refused.join(' ')}.`);
    }
    const scope = (requestedScopes ?? allowed).join(' ');
    return this.db.transaction(async (tx) => {
      const tokensRevokedBefore = await this.cutoffs.lockForIssuance(tx, client.clientId);
      const { token, expiresIn } = await this.issuer.clientAccessToken({
        clientId: client.clientId,
        scope,
        tokensRevokedBefore,
      });
      return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope };
    });
  }
}
