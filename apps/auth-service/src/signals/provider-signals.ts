import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RevocationReason } from '@tokenfence/contract';
import { AuthMetrics } from '../metrics/auth-metrics.js';
import type { EventTarget } from '../revocation/revocation-recorder.js';
import { RevocationRecorder } from '../revocation/revocation-recorder.js';
import { CLOCK, type Clock } from '../time/clock.js';
import type { IdentityProvider } from './identity-providers.js';
import type { SignalErrorCode } from './signal-error.js';

/** How a signal reached us. */
export type SignalChannel = 'backchannel-logout' | 'ssf-push' | 'ssf-poll';

/** One revocation a signal maps to, of the provider's tokens. */
export interface SignalRevocation {
  /** The provider's `sub` (the event's `sub`; the session id when it named no user). */
  readonly sub: string;
  readonly target: EventTarget;
  readonly reason: RevocationReason;
}

/** A verified signal, ready to be recorded. */
export interface ReceivedSignal {
  readonly provider: IdentityProvider;
  readonly channel: SignalChannel;
  /** The signal's own `jti`. */
  readonly jti: string;
  /** The signal as received (the compact JWS): a second delivery of it is a duplicate. */
  readonly token: string;
  /** Until when (seconds since the epoch) its receipt is kept: replays are refused until then. */
  readonly keepUntil: number;
  /** What it revokes; empty for a signal acknowledged without effect (unmappable). */
  readonly revocations: readonly SignalRevocation[];
}

/**
 * `applied`: recorded (its revocations committed with their events); `duplicate`: this very
 * signal was recorded before, nothing changed; `replayed`: another signal with its `jti` was.
 */
export type SignalOutcome = 'applied' | 'duplicate' | 'replayed' | 'unmappable';

/**
 * A user cutoff from a provider's signal is the signal's own time (a logout token's `iat`, an
 * event's `event_timestamp`), so a token issued after it (a new sign-in) stays valid; clamped to
 * [now - skew, now]: never ahead of our clock, and a signal that is late or misdated still
 * revokes every token issued up to shortly before it arrived.
 */
export function signalCutoff(
  provider: IdentityProvider,
  signalTime: number,
  nowMs: number,
): number {
  const now = Math.floor(nowMs / 1000);
  return Math.min(now, Math.max(now - provider.clockSkewSeconds, Math.floor(signalTime)));
}

/**
 * Records providers' signals: each one once, with its revocations, in one transaction (the
 * revocations' outbox: committed means published, to every guard), before the provider is told
 * it arrived. Counts every outcome, and every refusal by its code.
 */
@Injectable()
export class ProviderSignals {
  constructor(
    private readonly recorder: RevocationRecorder,
    private readonly metrics: AuthMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(signal: ReceivedSignal): Promise<SignalOutcome> {
    const { provider } = signal;
    const digest = createHash('sha256').update(signal.token).digest('base64url');
    const outcome = await this.recorder.commit(async (tx, revoke): Promise<SignalOutcome> => {
      const nowMs = this.clock.nowMs();
      // Receipts are kept until their signal expires; those past it go with each new one.
      await tx.query('DELETE FROM signal_receipts WHERE iss = $1 AND expires_at < $2', [
        provider.issuer,
        new Date(nowMs),
      ]);
      const inserted = await tx.query(
        `INSERT INTO signal_receipts (iss, jti, channel, digest, expires_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING jti`,
        [
          provider.issuer,
          signal.jti,
          signal.channel,
          digest,
          new Date(Math.max(signal.keepUntil * 1000, nowMs)),
        ],
      );
      if (inserted.length === 0) {
        const [seen] = await tx.query<{ digest: string }>(
          'SELECT digest FROM signal_receipts WHERE iss = $1 AND jti = $2',
          [provider.issuer, signal.jti],
        );
        return seen?.digest === digest ? 'duplicate' : 'replayed';
      }
      for (const { sub, target, reason } of signal.revocations) {
        await revoke({
          userId: sub,
          target,
          reason,
          initiatedBy: `provider:${provider.id}`,
          issuer: {
            iss: provider.issuer,
            maxTokenLifetimeSeconds: provider.maxTokenLifetimeSeconds,
            clockSkewSeconds: provider.clockSkewSeconds,
          },
        });
      }
      return signal.revocations.length > 0 ? 'applied' : 'unmappable';
    });
    this.metrics.signals.inc({ provider: provider.id, channel: signal.channel, outcome });
    return outcome;
  }

  /** Counts a refused signal under its code. */
  refused(provider: string, channel: SignalChannel, code: SignalErrorCode): void {
    this.metrics.signalsRejected.inc({ provider, channel, code });
  }
}
