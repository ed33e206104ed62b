import { EventError, parseRevocationEvent, type EventErrorCode } from '@tokenfence/contract';
import type { Clock } from './clock.js';
import type { Denylist } from './denylist.js';
import type { EventPosition, EventSink, RevocationEventSource } from './event-source.js';
import type { GuardLogger } from './logger.js';

export interface FeedStats {
  readonly applied: number;
  readonly ignoredExpired: number;
  readonly rejected: Readonly<Record<EventErrorCode, number>>;
  readonly ready: boolean;
  /** Milliseconds from the auth service's commit to this instance applying the last event. */
  readonly lastPropagationMs: number | undefined;
}

const PRUNE_INTERVAL_MS = 30_000;

/**
 * Feeds the denylist from an event source, and knows whether this instance has caught up with
 * every revocation that was published before it started.
 */
export class RevocationFeed implements EventSink {
  private ready = false;
  private applied = 0;
  private ignoredExpired = 0;
  private lastPropagationMs: number | undefined;
  private readonly rejected: Record<EventErrorCode, number> = {
    EVENT_TOO_LARGE: 0,
    EVENT_NOT_JSON: 0,
    EVENT_INVALID: 0,
  };
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly denylist: Denylist,
    private readonly source: RevocationEventSource,
    private readonly logger: GuardLogger,
    private readonly clock: Clock,
  ) {}

  async start(): Promise<void> {
    this.pruneTimer = setInterval(() => this.denylist.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    await this.source.start(this);
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.source.stop();
  }

  isReady(): boolean {
    return this.ready;
  }

  stats(): FeedStats {
    return {
      applied: this.applied,
      ignoredExpired: this.ignoredExpired,
      rejected: { ...this.rejected },
      ready: this.ready,
      lastPropagationMs: this.lastPropagationMs,
    };
  }

  onMessage(value: Buffer | null, position: EventPosition): void {
    if (value === null) return; // a tombstone carries nothing to apply
    try {
      const event = parseRevocationEvent(value);
      if (this.denylist.apply(event)) {
        this.applied++;
        this.lastPropagationMs = this.clock.nowMs() - event.revokedAtMs;
      } else {
        this.ignoredExpired++;
      }
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      this.rejected[err.code]++;
      this.logger.warn(
        `skipped event at partition ${position.partition} offset ${position.offset}: ${err.code}`,
      );
    }
  }

  onCaughtUp(): void {
    if (this.ready) return;
    this.ready = true;
    const size = this.denylist.size();
    this.logger.log(
      `caught up: ${this.applied} events applied (${size.token} tokens, ${size.session} sessions, ${size.user} users)`,
    );
  }
}
