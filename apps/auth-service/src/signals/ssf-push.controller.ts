import { Controller, HttpCode, Inject, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { ProviderSignals } from './provider-signals.js';
import { SecurityEvents } from './security-events.js';
import { SignalEndpoint } from './signal-endpoint.js';
import { SignalError, type SignalErrorCode } from './signal-error.js';
import { SsfStreams } from './ssf-streams.js';

/** RFC 8935 section 2.4 error codes, by our code. */
const PUSH_ERRORS: Partial<Record<SignalErrorCode, string>> = {
  SIGNAL_SIGNATURE_INVALID: 'invalid_key',
  SIGNAL_ISSUER_INVALID: 'invalid_issuer',
  SIGNAL_AUDIENCE_INVALID: 'invalid_audience',
  SIGNAL_UNAUTHENTICATED: 'authentication_failed',
};

/**
 * RFC 8935 push delivery: a provider whose `ssf.delivery` is `push` posts each SET to
 * `/signals/<provider id>/ssf` with the Authorization header our stream was set up with. 202 once
 * its revocation is committed (or it was a duplicate, or revokes nothing); 400 with RFC 8935's
 * `err` and `description`, and our `code`, when refused.
 */
@ApiTags('signals')
@Controller('signals')
export class SsfPushController {
  private readonly endpoint: SignalEndpoint;

  constructor(
    @Inject(AUTH_CONFIG) config: AuthConfig,
    private readonly events: SecurityEvents,
    private readonly streams: SsfStreams,
    private readonly signals: ProviderSignals,
  ) {
    this.endpoint = new SignalEndpoint(
      config.identityProviders.filter((p) => p.sharedSignals?.delivery === 'push'),
      'No identity provider with this id pushes security events here.',
      // RFC 8935 section 2.4.
      (err) =>
        err.status === 400 || err.status === 401
          ? { err: PUSH_ERRORS[err.code] ?? 'invalid_request', description: err.message }
          : {},
    );
  }

  @Post(':provider/ssf')
  @UseGuards(RateLimitGuard)
  @RateLimit('signals')
  @HttpCode(202)
  @ApiOperation({ summary: "An identity provider's security event token (RFC 8935 push)" })
  @ApiConsumes('application/secevent+jwt')
  @ApiResponse({
    status: 202,
    description: 'Accepted: committed, a duplicate, or nothing to revoke',
  })
  @ApiResponse({
    status: 400,
    description:
      '`err`: invalid_request, invalid_key, invalid_issuer, invalid_audience; `code`: SIGNAL_MISSING, SIGNAL_MALFORMED, SIGNAL_SIGNATURE_INVALID, SIGNAL_ISSUER_INVALID, SIGNAL_AUDIENCE_INVALID, SIGNAL_CLAIMS_INVALID, SIGNAL_REPLAYED',
  })
  @ApiResponse({
    status: 401,
    description: '`err: authentication_failed`, `code`: SIGNAL_UNAUTHENTICATED',
  })
  @ApiResponse({ status: 404, description: '`code`: IDENTITY_PROVIDER_UNKNOWN' })
  @ApiResponse({ status: 503, description: '`code`: SIGNAL_KEYS_UNAVAILABLE, with Retry-After' })
  async push(
    @Param('provider') providerId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    // Not @Body(): the global pipe takes a body for a JSON object, and a SET is a string.
    const body: unknown = req.body;
    const provider = this.endpoint.provider(providerId);
    try {
      const stream = await this.streams.get(provider.id);
      if (!SsfStreams.pushAuthorized(stream, req.headers.authorization)) {
        const err = new SignalError(
          'SIGNAL_UNAUTHENTICATED',
          'The Authorization header is not the one our stream with this provider was set up with.',
        );
        this.signals.refused(provider.id, 'ssf-push', err.code);
        throw err;
      }
      if (!req.is('application/secevent+jwt') || typeof body !== 'string' || body === '') {
        const err = new SignalError('SIGNAL_MISSING', 'Send the SET as application/secevent+jwt.');
        this.signals.refused(provider.id, 'ssf-push', err.code);
        throw err;
      }
      await this.events.receive(provider, stream, body.trim(), 'ssf-push');
    } catch (err) {
      // Counted where refused (here, or by SecurityEvents).
      throw this.endpoint.refusal(err, res);
    }
  }
}
