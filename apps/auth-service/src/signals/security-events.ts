import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuthMetrics } from '../metrics/auth-metrics.js';
import { CLOCK, type Clock } from '../time/clock.js';
import type { IdentityProvider } from './identity-providers.js';
import { ProviderKeys } from './provider-keys.js';
import { ProviderSignals, type SignalChannel, type SignalOutcome } from './provider-signals.js';
import { SET_MAX_AGE_SECONDS, verifySecurityEventToken } from './security-event-token.js';
import { SignalError } from './signal-error.js';
import { meaningOf } from './ssf-mapping.js';
import { SsfStreams, type SsfStream } from './ssf-streams.js';

/** What became of a SET we accepted (a refused one throws a {@link SignalError}). */
export type SetOutcome = SignalOutcome | 'verification' | 'stream';

/**
 * Receives the SETs of a provider's stream, pushed or polled: verified against its keys and our
 * stream's audience, mapped (see `meaningOf`), and recorded once with their revocations before
 * they are acknowledged. A duplicate (the same SET again, as transmitters retry) changes nothing
 * and is acknowledged; another SET reusing a `jti` is refused (`SIGNAL_REPLAYED`).
 */
@Injectable()
export class SecurityEvents {
  private readonly logger = new Logger('SecurityEvents');

  constructor(
    private readonly keys: ProviderKeys,
    private readonly signals: ProviderSignals,
    private readonly streams: SsfStreams,
    private readonly metrics: AuthMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async receive(
    provider: IdentityProvider,
    /** Our stream with the provider, as recorded (its audience); none: every SET is refused. */
    stream: SsfStream | undefined,
    token: string,
    channel: SignalChannel,
  ): Promise<SetOutcome> {
    try {
      const nowMs = this.clock.nowMs();
      const set = await verifySecurityEventToken(
        token,
        provider,
        this.keys.resolverOf(provider),
        stream?.audience ?? [],
        nowMs,
      );
      const meaning = meaningOf(provider, set, nowMs);
      if (meaning.kind === 'verification' || meaning.kind === 'stream') {
        if (
          meaning.kind === 'verification' &&
          (await this.streams.verified(provider.id, meaning.state))
        ) {
          this.logger.log(`the stream of ${provider.id} is verified: its events reach us`);
        }
        this.metrics.signals.inc({ provider: provider.id, channel, outcome: meaning.kind });
        return meaning.kind;
      }
      if (meaning.kind === 'unmappable') {
        this.logger.debug?.(`an event of ${provider.id} revokes nothing: ${meaning.why}`);
      }
      const outcome = await this.signals.record({
        provider,
        channel,
        jti: set.jti,
        token,
        keepUntil: set.iat + SET_MAX_AGE_SECONDS + provider.clockSkewSeconds,
        revocations: meaning.kind === 'revoke' ? meaning.revocations : [],
      });
      if (outcome === 'replayed') {
        throw new SignalError(
          'SIGNAL_REPLAYED',
          'Another security event token with this "jti" was received before.',
        );
      }
      return outcome;
    } catch (err) {
      if (err instanceof SignalError) this.signals.refused(provider.id, channel, err.code);
      throw err;
    }
  }
}
