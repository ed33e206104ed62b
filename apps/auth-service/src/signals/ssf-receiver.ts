import { randomBytes, randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { DATABASE, type Database, type DatabaseLock } from '../database/database.js';
import { AuthMetrics } from '../metrics/auth-metrics.js';
import { CLOCK, type Clock } from '../time/clock.js';
import type { IdentityProvider } from './identity-providers.js';
import { SecurityEvents } from './security-events.js';
import { SignalError } from './signal-error.js';
import { REQUESTED_EVENTS } from './ssf-mapping.js';
import { sha256, SsfStreams, type SsfStream } from './ssf-streams.js';
import {
  POLL_DELIVERY,
  PUSH_DELIVERY,
  SsfTransmitter,
  type PollAcknowledgements,
} from './ssf-transmitter.js';

/** One instance at a time sets streams up and polls (every instance accepts pushes). */
const RECEIVER_LOCK_KEY = 7_283_403;
const STANDBY_POLL_MS = 2_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 60_000;

const NO_ACKS: PollAcknowledgements = { ack: [], setErrs: {} };

/**
 * Our side of each provider's Shared Signals stream. The instance holding the receiver lock sets
 * the stream up at the provider's transmitter (a push stream to `/signals/<id>/ssf` with a random
 * Authorization header, or a poll stream), asks for a verification event, and, for poll
 * delivery, polls: each SET committed before it is acknowledged in the next poll (RFC 8936), a
 * refused one reported in `setErrs`. A provider that is down is retried with a backoff; the
 * service starts and serves whatever the providers do.
 */
@Injectable()
export class SsfReceiver implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SsfReceiver');
  private readonly providers: readonly IdentityProvider[];
  private readonly transmitters = new Map<string, SsfTransmitter>();
  private running = false;
  private lock: DatabaseLock | undefined;
  /** The one attempt at taking the lock in flight, shared by every provider's loop. */
  private taking: Promise<DatabaseLock | undefined> | undefined;
  private loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly streams: SsfStreams,
    private readonly events: SecurityEvents,
    private readonly metrics: AuthMetrics,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.providers = config.identityProviders.filter((p) => p.sharedSignals);
    for (const provider of this.providers) {
      this.transmitters.set(provider.id, new SsfTransmitter(provider, () => clock.nowMs()));
    }
  }

  onApplicationBootstrap(): void {
    if (this.providers.length === 0) return;
    this.running = true;
    this.loops = this.providers.map((provider) => this.run(provider));
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    for (const wake of this.sleepers) wake();
    await Promise.all(this.loops);
    await this.lock?.release();
  }

  /** Our push endpoint for `provider`, on our public base URL. */
  pushUrl(provider: IdentityProvider): string {
    return `${this.config.issuer}/signals/${provider.id}/ssf`;
  }

  private async run(provider: IdentityProvider): Promise<void> {
    const transmitter = this.transmitters.get(provider.id) as SsfTransmitter;
    let stream: SsfStream | undefined;
    let failures = 0;
    let acks = NO_ACKS;
    while (this.running) {
      try {
        if (!(await this.lead())) {
          stream = undefined; // the next leader checks it again
          await this.sleep(STANDBY_POLL_MS);
          continue;
        }
        stream ??= await this.setUp(provider, transmitter);
        failures = 0;
        if (stream.delivery === 'push' || !stream.endpointUrl) {
          await this.sleep(STANDBY_POLL_MS); // nothing to do but hold the stream
          continue;
        }
        const answer = await transmitter.poll(stream.endpointUrl, acks);
        acks = await this.handle(provider, stream, answer.sets);
        const idle = answer.sets.size === 0 && !answer.moreAvailable;
        if (idle) await this.sleep(provider.sharedSignals?.pollIntervalMs ?? 1000);
      } catch (err) {
        failures++;
        this.metrics.ssfStreamFailures.inc({ provider: provider.id });
        if (failures === 1 || failures % 10 === 0) {
          this.logger.warn(
            `the stream of ${provider.id} fails (${(err as Error).message}); retrying`,
          );
        }
        stream = undefined;
        // Doubling per failure, with up to half of it random: providers down together, and
        // instances retrying together, spread out.
        const delayMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures - 1, 16));
        await this.sleep(delayMs * (0.5 + Math.random() / 2));
      }
    }
  }

  /** Records each polled SET; what to acknowledge (or report as refused) with the next poll. */
  private async handle(
    provider: IdentityProvider,
    stream: SsfStream,
    sets: ReadonlyMap<string, string>,
  ): Promise<PollAcknowledgements> {
    const ack: string[] = [];
    const setErrs: Record<string, { err: string; description: string }> = {};
    for (const [jti, token] of sets) {
      try {
        await this.events.receive(provider, stream, token, 'ssf-poll');
        ack.push(jti);
      } catch (err) {
        // Keys unavailable (or the database down): not acknowledged, so polled again.
        if (!(err instanceof SignalError) || err.status >= 500) throw err;
        setErrs[jti] = { err: 'invalid_request', description: err.message };
      }
    }
    return { ack, setErrs };
  }

  /**
   * The stream recorded for the provider if the transmitter still has it as we set it up;
   * otherwise a new one (the receiver client's other streams deleted first: a transmitter may
   * allow one per client), then a verification event asked for.
   */
  private async setUp(provider: IdentityProvider, transmitter: SsfTransmitter): Promise<SsfStream> {
    const settings = provider.sharedSignals;
    if (!settings) throw new Error(`${provider.id} has no "ssf" settings`);
    const method = settings.delivery === 'push' ? PUSH_DELIVERY : POLL_DELIVERY;
    const pushUrl = this.pushUrl(provider);
    const recorded = await this.streams.get(provider.id);
    const listed = await transmitter.streams();
    const current = listed.find(
      (s) =>
        s.streamId === recorded?.streamId &&
        s.deliveryMethod === method &&
        (settings.delivery === 'poll' || s.endpointUrl === pushUrl),
    );
    if (recorded && current) return recorded;
    for (const stream of listed) await transmitter.deleteStream(stream.streamId);
    const authorization = `Bearer ${randomBytes(32).toString('base64url')}`;
    const created = await transmitter.createStream(
      settings.delivery === 'push'
        ? { method, endpoint_url: pushUrl, authorization_header: authorization }
        : { method },
      REQUESTED_EVENTS,
    );
    const stream = {
      providerId: provider.id,
      streamId: created.streamId,
      audience: created.audience,
      delivery: settings.delivery,
      endpointUrl: settings.delivery === 'push' ? pushUrl : created.endpointUrl,
      pushTokenHash: settings.delivery === 'push' ? sha256(authorization) : undefined,
      verificationState: randomUUID(),
    };
    await this.streams.save(stream);
    this.logger.log(
      `set up a ${settings.delivery} stream ${created.streamId} with ${provider.id} (audience ${created.audience.join(', ')})`,
    );
    await transmitter.verify(stream.streamId, stream.verificationState);
    return { ...stream, verifiedAt: undefined };
  }

  /** True while this instance holds the receiver lock; tries to take it when free. */
  private async lead(): Promise<boolean> {
    if (this.lock?.isHeld()) return true;
    if (!this.taking) {
      this.taking = this.db.tryLock(RECEIVER_LOCK_KEY).finally(() => {
        this.taking = undefined;
      });
      this.lock = await this.taking;
      if (this.lock) this.logger.log('holding the signals receiver lock: this instance polls');
    } else {
      await this.taking;
    }
    return this.lock?.isHeld() === true;
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
