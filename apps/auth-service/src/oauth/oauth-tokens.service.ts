import { Injectable } from '@nestjs/common';
import type { Principal } from '@tokenfence/revocation-guard';
import { LiveAccessTokens } from '../auth/live-access-tokens.js';
import { AuthError } from '../errors/auth-error.js';
import { hashRefreshToken } from '../keys/token-issuer.js';
import { RevocationRecorder } from '../revocation/revocation-recorder.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import { SessionsService } from '../sessions/sessions.service.js';
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

/**
 * Whether `caller` may see an access token issued to `clientId` for `aud`: its own, or one for
 * an audience it is the resource server of.
 */
function mayIntrospect(caller: AuthenticatedClient, clientId: unknown, aud: unknown): boolean {
  if (clientId === caller.clientId) return true;
  const audiences = Array.isArray(aud) ? (aud as unknown[]) : [aud];
  return audiences.some((a) => typeof a === 'string' && caller.introspectAudiences.includes(a));
}

/** RFC 7009 revocation and RFC 7662 introspection, against the database as the source of truth. */
@Injectable()
export class OAuthTokensService {
  constructor(
    private readonly liveTokens: LiveAccessTokens,
    private readonly sessions: SessionsRepository,
    private readonly sessionsService: SessionsService,
    private readonly recorder: RevocationRecorder,
  ) {}

  /**
   * What `caller` may know about a token: a token issued to another client is `{active: false}`,
   * except an access token for an audience the caller is the resource server of.
   */
  async introspect(token: string, caller: AuthenticatedClient): Promise<IntrospectionResponse> {
    if (looksLikeJws(token)) {
      const principal = await this.liveAccessToken(token);
      if (!principal) return INACTIVE;
      const { claims } = principal;
      if (!mayIntrospect(caller, claims.client_id, claims.aud)) return INACTIVE;
      return {
        active: true,
        token_type: 'access_token',
        scope: principal.scopes.join(' '),
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
    if (!state || state.clientId !== caller.clientId) return INACTIVE;
    if (state.used || state.tokenExpired || !state.sessionLive) return INACTIVE;
    return {
      active: true,
      token_type: 'refresh_token',
      client_id: state.clientId,
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
      // Every live token of ours has a jti (checkAny refuses one without).
      const jti = principal?.jti;
      if (!principal || jti === undefined || principal.claims.client_id !== client.clientId) {
        return;
      }
      await this.recorder.commit((_tx, revoke) =>
        revoke({
          userId: principal.sub,
          target: { scope: 'token', jti },
          reason: 'oauth-revoke',
          knownExpiry: principal.exp,
        }),
      );
      return;
    }
    const state = await this.sessions.findRefreshToken(hashRefreshToken(token));
    if (!state || state.clientId !== client.clientId) return;
    await this.sessionsService.endSession(state.userId, state.sessionId, 'oauth-revoke');
  }

  /** A verified access token (a session's or a client's) that no revocation covers, or undefined. */
  private async liveAccessToken(token: string): Promise<Principal | undefined> {
    try {
      return await this.liveTokens.checkAny(token);
    } catch (err) {
      if (err instanceof AuthError) return undefined;
      throw err;
    }
  }
}
