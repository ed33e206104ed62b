import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { GuardError } from '../core/guard-error.js';
import type { Principal } from '../core/principal.js';
import { bearerChallenge, toHttpException } from './guard-http-exception.js';
import { IS_PUBLIC_KEY } from './public.decorator.js';
import {
  MAX_LOGIN_AGE_KEY,
  REQUIRED_SCOPES_KEY,
  ROUTE_FRESHNESS_KEY,
} from './route-requirements.decorators.js';
import { checkRequirements } from '../core/route-requirements.js';
import type { FreshnessRequirement } from '../core/stale-policy.js';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: Principal;
}
interface HttpResponse {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * Global guard: every route needs a valid, unrevoked access token unless marked `@Public()`.
 * It only reads metadata and delegates to {@link AccessTokenAuthenticator}.
 */
@Injectable()
export class RevocationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: AccessTokenAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic === true) return true;
    if (context.getType() === 'ws') return this.socketMayAct(context);
    if (context.getType() !== 'http') return false; // deny by default elsewhere

    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const header = request.headers.authorization;
    const targets = [context.getHandler(), context.getClass()];
    const routeFreshness = this.reflector.getAllAndOverride<FreshnessRequirement | undefined>(
      ROUTE_FRESHNESS_KEY,
      targets,
    );
    try {
      const principal = await this.authenticator.authenticate(
        Array.isArray(header) ? header[0] : header,
        routeFreshness ?? this.authenticator.freshness,
      );
      checkRequirements(
        principal,
        {
          scopes: this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES_KEY, targets),
          maxLoginAgeSeconds: this.reflector.getAllAndOverride<number | undefined>(
            MAX_LOGIN_AGE_KEY,
            targets,
          ),
        },
        this.authenticator.nowMs(),
      );
      request.user = principal;
      return true;
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      if (err.status === 401 || err.status === 403) {
        const response = http.getResponse<HttpResponse>();
        const challenge = bearerChallenge(err);
        if (response.setHeader) response.setHeader('WWW-Authenticate', challenge);
        else response.header?.('WWW-Authenticate', challenge);
      }
      throw toHttpException(err);
    }
  }

  /** A socket message: the socket was authenticated at its handshake; recheck it is still valid. */
  private socketMayAct(context: ExecutionContext): boolean {
    const client = context.switchToWs().getClient<{ data?: { principal?: Principal } }>();
    const principal = client.data?.principal;
    if (!principal) throw new WsException({ code: 'TOKEN_MISSING', message: 'Not authenticated.' });
    if (principal.exp * 1000 <= this.authenticator.nowMs()) {
      throw new WsException({ code: 'TOKEN_EXPIRED', message: 'The access token has expired.' });
    }
    if (this.authenticator.isRevoked(principal)) {
      throw new WsException({
        code: 'TOKEN_REVOKED',
        message: 'The access token has been revoked.',
      });
    }
    return true;
  }
}
