import { Inject, Injectable } from '@nestjs/common';
import { GuardError, TokenVerifier, type Principal } from '@tokenfence/revocation-guard';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { DATABASE, type Database } from '../database/database.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { FIRST_PARTY_CLIENT_ID, hashRefreshToken } from '../keys/token-issuer.js';
import { OutboxRelay } from '../revocation/outbox.relay.js';
import { RevocationRecorder } from '../revocation/revocation-recorder.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import type { AuthenticatedClient } from './client-authenticator.js';

/** RFC 7662 answer: `{active: false}` and nothing else for any inactive token. */
export type IntrospectionResponse =
  | { readonly active: false }
  | ({ readonly active: true; readonly token_type: 'access_token' | 'refresh_token' } & Record<
      string,
      unknown
    >);

const INACTIVE: IntrospectionResponse = { active: false };
const looksLikeJws = (token: string): boolean => token.split('.').length === 3;

/** RFC 7009 revocation and RFC 7662 introspection, against the database as the source of truth. */
@Injectable()
export class OAuthTokensService {
  private verifier: TokenVerifier | undefined;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly keys: SigningKeys,
    private readonly sessions: SessionsRepository,
    private readonly recorder: RevocationRecorder,
    private readonly relay: OutboxRelay,
  ) {}

  async introspect(token: string): Promise<IntrospectionResponse> {
    if (looksLikeJws(token)) {
      const principal = await this.liveAccessToken(token);
      if (!principal) return INACTIVE;
      const { claims } = principal;
      return {
        active: true,
        token_type: 'access_token',
        scope: principal.scope,
        client_id: claims.client_id,
        sub: principal.sub,
        sid: principal.sid,
        jti: principal.jti,
        iss: claims.iss,
        aud: claims.aud,
        iat: principal.iat,
        exp: principal.exp,
        auth_time: claims.auth_time,
      };
    }
    const state = await this.sessions.findRefreshToken(hashRefreshToken(token));
    if (!state || state.used || state.tokenExpired || !state.sessionLive) return INACTIVE;
    return {
      active: true,
      token_type: 'refresh_token',
      client_id: FIRST_PARTY_CLIENT_ID,
      sub: state.userId,
      sid: state.sessionId,
      exp: state.expiresAt,
    };
  }

  /**
   * Revokes a token issued to `client`: a refresh token ends its whole session, an access token
   * is revoked alone. Unknown, invalid or foreign tokens are ignored (the answer is 200 anyway).
   */
  async revoke(token: string, client: AuthenticatedClient): Promise<void> {
    if (looksLikeJws(token)) {
      const principal = await this.liveAccessToken(token);
      if (!principal || principal.claims.client_id !== client.clientId) return;
      await this.db.transaction((tx) =>
        this.recorder.record(
          tx,
          principal.sub,
          { scope: 'token', jti: principal.jti },
          'oauth-revoke',
          principal.exp,
        ),
      );
      this.relay.wake();
      return;
    }
    if (client.clientId !== FIRST_PARTY_CLIENT_ID) return;
    const state = await this.sessions.findRefreshToken(hashRefreshToken(token));
    if (!state) return;
    const revoked = await this.db.transaction(async (tx) => {
      if (!(await this.sessions.revoke(tx, state.userId, state.sessionId, 'oauth-revoke'))) {
        return false;
      }
      await this.recorder.record(
        tx,
        state.userId,
        { scope: 'session', sid: state.sessionId },
        'oauth-revoke',
      );
      return true;
    });
    if (revoked) this.relay.wake();
  }

  /** A verified access token that no session, user or token revocation covers. */
  private async liveAccessToken(token: string): Promise<Principal | undefined> {
    let principal: Principal;
    try {
      principal = await this.tokenVerifier().verify(token);
    } catch (err) {
      if (err instanceof GuardError) return undefined;
      throw err;
    }
    const session = await this.sessions.state(principal.sid);
    if (
      !session ||
      session.revoked ||
      session.userId !== principal.sub ||
      principal.iat <= session.tokensRevokedBefore ||
      (await this.sessions.isTokenRevoked(principal.jti))
    ) {
      return undefined;
    }
    return principal;
  }

  private tokenVerifier(): TokenVerifier {
    this.verifier ??= new TokenVerifier({
      issuer: this.config.issuer,
      audience: this.config.audience,
      algorithms: [this.config.signingAlgorithm],
      clockToleranceSeconds: 0,
      keys: this.keys.verificationKeys(),
    });
    return this.verifier;
  }
}
