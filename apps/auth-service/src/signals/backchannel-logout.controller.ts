import {
  Body,
  Controller,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { CLOCK, type Clock } from '../time/clock.js';
import type { IdentityProvider } from './identity-providers.js';
import {
  LOGOUT_TOKEN_MAX_AGE_SECONDS,
  verifyLogoutToken,
  type LogoutToken,
} from './logout-token.js';
import { ProviderKeys } from './provider-keys.js';
import { ProviderSignals, signalCutoff, type SignalRevocation } from './provider-signals.js';
import { SignalEndpoint } from './signal-endpoint.js';
import { SignalError } from './signal-error.js';

/**
 * What a logout token revokes. `sid` names one session: its tokens, when the provider's access
 * tokens carry `sid`; otherwise all the user's tokens (the session's cannot be told apart), and
 * nothing at all without a `sub` (refused). `sub` alone: every token of the user issued up to
 * the logout (a user cutoff at the token's `iat`).
 */
export function logoutRevocations(
  provider: IdentityProvider,
  token: LogoutToken,
  nowMs: number,
): SignalRevocation[] {
  const { sub, sid } = token;
  if (sid !== undefined && provider.accessTokensCarrySid) {
    return [{ sub: sub ?? sid, target: { scope: 'session', sid }, reason: 'logout' }];
  }
  if (sub === undefined) {
    throw new SignalError(
      'SIGNAL_SESSION_UNUSABLE',
      `The logout token names only a session, and ${provider.id}'s access tokens carry no "sid".`,
    );
  }
  const cutoff = signalCutoff(provider, token.iat, nowMs);
  return [{ sub, target: { scope: 'user', cutoff }, reason: 'logout-all' }];
}

/**
 * OIDC Back-Channel Logout 1.0: each configured provider posts its logout tokens to
 * `/signals/<provider id>/backchannel-logout` (the client's `backchannel_logout_uri`). A valid
 * token's revocation is committed before the 200; a refused one gets a 400 with `error`,
 * `error_description` and our `code` (section 2.8), and is counted.
 */
@ApiTags('signals')
@Controller('signals')
export class BackChannelLogoutController {
  private readonly endpoint: SignalEndpoint;

  constructor(
    @Inject(AUTH_CONFIG) config: AuthConfig,
    private readonly keys: ProviderKeys,
    private readonly signals: ProviderSignals,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.endpoint = new SignalEndpoint(
      config.identityProviders.filter((p) => p.backChannelLogout),
      'No identity provider with this id sends logout tokens here.',
      // Back-Channel Logout 1.0 section 2.8.
      (err) =>
        err.status === 400 ? { error: 'invalid_request', error_description: err.message } : {},
    );
  }

  @Post(':provider/backchannel-logout')
  @UseGuards(RateLimitGuard)
  @RateLimit('signals')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: "An identity provider's logout token (OIDC Back-Channel Logout 1.0)" })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiResponse({ status: 200, description: 'Revoked (committed; on its way to every service)' })
  @ApiResponse({
    status: 400,
    description:
      '`error: invalid_request`, `code`: SIGNAL_MISSING, SIGNAL_MALFORMED, SIGNAL_SIGNATURE_INVALID, SIGNAL_CLAIMS_INVALID, SIGNAL_REPLAYED, SIGNAL_SESSION_UNUSABLE',
  })
  @ApiResponse({ status: 404, description: '`code`: IDENTITY_PROVIDER_UNKNOWN' })
  @ApiResponse({ status: 503, description: '`code`: SIGNAL_KEYS_UNAVAILABLE, with Retry-After' })
  async logout(
    @Param('provider') providerId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() body: unknown,
  ): Promise<void> {
    const provider = this.endpoint.provider(providerId);
    try {
      const token = logoutTokenOf(req, body);
      const nowMs = this.clock.nowMs();
      const verified = await verifyLogoutToken(
        token,
        provider,
        this.keys.resolverOf(provider),
        nowMs,
      );
      const outcome = await this.signals.record({
        provider,
        channel: 'backchannel-logout',
        jti: verified.jti,
        token,
        // As long as it could be accepted again: until its exp, or while its iat is recent enough.
        keepUntil:
          Math.max(verified.exp, verified.iat + LOGOUT_TOKEN_MAX_AGE_SECONDS) +
          provider.clockSkewSeconds,
        revocations: logoutRevocations(provider, verified, nowMs),
      });
      if (outcome === 'duplicate' || outcome === 'replayed') {
        throw new SignalError(
          'SIGNAL_REPLAYED',
          'A logout token with this "jti" was received before.',
        );
      }
    } catch (err) {
      if (err instanceof SignalError)
        this.signals.refused(provider.id, 'backchannel-logout', err.code);
      throw this.endpoint.refusal(err, res);
    }
  }
}

/** The `logout_token` form parameter, exactly once. */
function logoutTokenOf(req: Request, body: unknown): string {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw new SignalError(
      'SIGNAL_MISSING',
      'Send logout_token as application/x-www-form-urlencoded.',
    );
  }
  const token = (body as Record<string, unknown> | undefined)?.logout_token;
  if (typeof token !== 'string' || token === '') {
    throw new SignalError('SIGNAL_MISSING', 'The request has no (single) logout_token parameter.');
  }
  return token;
}
