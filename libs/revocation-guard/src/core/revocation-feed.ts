import {
  EVENT_ERROR_CODES,
  EventError,
  type EventErrorCode,
  type RevocationEvent,
  type SecurityEvent,
} from '@tokenfence/contract';
import type { Clock } from './clock.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { Denylist } from './denylist.js';
import type { EventPosition, EventSink, RevocationEventSource } from './event-source.js';
import type { EventVerifier } from './event-verifier.js';
import type { FeedTracing, MessageOutcome } from './feed-tracing.js';
import type { KeySetListener } from './jwks-key-source.js';
import type { GuardLogger } from './logger.js';

export interface FeedStats {
  readonly ready: boolean;
  readonly applied: number;
  readonly ignoredExpired: number;
  /** Revocations that changed nothing: at-least-once redeliveries, or replayed messages. */
  readonly duplicates: number;
  /** Revocations skipped unstored: their `iss` is no issuer this guard trusts (see `issuers`). */
  readonly untrustedIssuer: number;
  readonly heartbeats: number;
  readonly rejected: Readonly<Record<EventErrorCode, number>>;
  /** Every revocation accepted before this instant (ms) has been applied; undefined until proven. */
  readonly freshAsOfMs: number | undefined;
  /** Milliseconds from the auth service's commit to this instance applying the last revocation. */
  readonly lastPropagationMs: number | undefined;
}

export interface RevocationFeedOptions {
  /** How often entries that can no longer matter leave the denylist. Default 30000. */
  readonly denylistPruneIntervalMs?: number;
  /** Heartbeats dated further ahead of the clock are skipped (`EVENT_FROM_FUTURE`). Default 5. */
  readonly clockToleranceSeconds?: number;
  /** The event keys' source: freshness vouched for by a key that leaves it is dropped at once. */
  readonly keySource?: { onChange(listener: KeySetListener): () => void };
  /** Spans for messages that carry a trace context (`tracing: true`); none by default. */
  readonly tracing?: FeedTracing;
  /**
   * Whose revocations are kept: those of the token issuers, and the key revocations of the events
   * source (its event keys). Any other member cannot affect an accepted token: it is skipped
   * unstored and counted (`untrustedIssuer`), never refused. Default: every issuer's.
   */
  readonly issuers?: FeedIssuers;
}

/** The issuers whose revocations a feed keeps. */
export interface FeedIssuers {
  /** The `iss` of every token issuer the guard trusts. */
  readonly tokens: ReadonlySet<string>;
  /** The issuer of the revocation events (whose event keys sign them). */
  readonly events: string;
}

type Heartbeat = Extract<SecurityEvent, { kind: 'heartbeat' }>;
type RevocationBatch = Extract<SecurityEvent, { kind: 'revocations' }>;

export const DEFAULT_DENYLIST_PRUNE_INTERVAL_MS = 30_000;

/** Told of every revocation applied, e.g. to end the live connections it covers. */
export type RevocationListener = (revocation: RevocationEvent) => void;

/**
 * Feeds the denylist from an event source: authenticates each message, applies revocations,
 * records heartbeats per partition (freshness), and knows whether this instance has caught up
 * with everything that was published before it started.
 */
export class RevocationFeed implements EventSink {
  private caughtUp = false;
  private ready = false;
  /**
   * Partitions whose freshness this instance no longer vouches for: it met a message of a newer
   * producer there (`EVENT_VERSION_UNSUPPORTED`) and may be failing to enforce it.
   */
  private readonly unsupported = new Set<number>();
  /** Per partition, the snapshot seen starting and not yet ended. */
  private readonly snapshots = new Map<number, string>();
  private applied = 0;
  private ignoredExpired = 0;
  private duplicates = 0;
  private untrustedIssuer = 0;
  private heartbeats = 0;
  private lastPropagationMs: number | undefined;
  private readonly rejected = Object.fromEntries(
    EVENT_ERROR_CODES.map((code) => [code, 0]),
  ) as Record<EventErrorCode, number>;
  private readonly warned = new Set<EventErrorCode>();
  /** Per partition, per event key: the latest `publishedBeforeMs` that key vouched for. */
  private readonly freshness = new Map<number, Map<string, number>>();
  private partitions: readonly number[] = [];
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<RevocationListener>();
  /** Event time (auth-service commit) to applied here. */
  readonly propagation = new LatencyHistogram();

  constructor(
    readonly denylist: Denylist,
    private readonly source: RevocationEventSource,
    private readonly verifier: EventVerifier,
    private readonly logger: GuardLogger,
    private readonly clock: Clock,
    private readonly options: RevocationFeedOptions = {},
  ) {
    options.keySource?.onChange(({ removed }) => this.distrustKeys(removed));
  }

  async start(): Promise<void> {
    this.pruneTimer = setInterval(
      () => this.denylist.prune(),
      this.options.denylistPruneIntervalMs ?? DEFAULT_DENYLIST_PRUNE_INTERVAL_MS,
    );
    this.pruneTimer.unref();
    await this.source.start(this);
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.source.stop();
  }

  /** Calls `listener` for every revocation applied from now on; returns an unsubscribe. */
  onRevocation(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isReady(): boolean {
    return this.ready;
  }

  /** How far behind the auth service this instance may be, in ms; Infinity until proven. */
  stalenessMs(): number {
    const freshAsOf = this.freshAsOfMs();
    return freshAsOf === undefined ? Infinity : Math.max(0, this.clock.nowMs() - freshAsOf);
  }

  stats(): FeedStats {
    return {
      ready: this.ready,
      applied: this.applied,
      ignoredExpired: this.ignoredExpired,
      duplicates: this.duplicates,
      untrustedIssuer: this.untrustedIssuer,
      heartbeats: this.heartbeats,
      rejected: { ...this.rejected },
      freshAsOfMs: this.freshAsOfMs(),
      lastPropagationMs: this.lastPropagationMs,
    };
  }

  onPartitions(partitions: readonly number[]): void {
    this.partitions = [...partitions];
  }

  async onMessage(value: Buffer | null, position: EventPosition): Promise<void> {
    if (value === null) return; // a tombstone carries nothing
    const { tracing } = this.options;
    if (tracing === undefined || position.traceHeaders?.traceparent === undefined) {
      await this.handle(value, position);
      return;
    }
    await tracing.process(position, async () => {
      const before = { applied: this.applied, dup: this.duplicates, exp: this.ignoredExpired };
      const rejected = { ...this.rejected };
      const kind = await this.handle(value, position);
      return {
        kind,
        applied: this.applied - before.applied,
        duplicates: this.duplicates - before.dup,
        ignoredExpired: this.ignoredExpired - before.exp,
        rejected: EVENT_ERROR_CODES.find((code) => this.rejected[code] !== rejected[code]),
      } satisfies MessageOutcome;
    });
  }

  /** Verifies and applies one message; its kind, or undefined when it was refused whole. */
  private async handle(value: Buffer, position: EventPosition): Promise<MessageOutcome['kind']> {
    try {
      const { event, kid } = await this.verifier.verify(value, position);
      switch (event.kind) {
        case 'heartbeat':
          this.onHeartbeat(event, kid, position);
          break;
        case 'revocations':
          this.onRevocations(event, position);
          break;
      }
      return event.kind;
    } catch (err) {
      if (!(err instanceof EventError)) throw err; // retriable: the source delivers it again
      this.reject(err.code, position, 1);
      if (err.code === 'EVENT_VERSION_UNSUPPORTED') this.stopVouching(position.partition);
      return undefined;
    }
  }

  /**
   * A newer producer wrote something this instance cannot enforce: heartbeats of the partition no
   * longer make it fresh, so the stale policy applies until it is upgraded, never a silent skip.
   */
  private stopVouching(partition: number): void {
    if (this.unsupported.has(partition)) return;
    this.unsupported.add(partition);
    this.logger.warn(
      `partition ${partition} carries events of a newer contract than this guard's: it no longer vouches for freshness (upgrade @tokenfence/revocation-guard)`,
    );
  }

  /**
   * Forgets the freshness that these event keys vouched for (revoked, or gone from the JWKS):
   * each partition falls back to what other keys vouched for, or to unproven.
   */
  distrustKeys(kids: readonly string[]): void {
    for (const byKid of this.freshness.values()) {
      for (const kid of kids) byKid.delete(kid);
    }
  }

  private onHeartbeat(heartbeat: Heartbeat, kid: string, position: EventPosition): void {
    if (heartbeat.partition !== position.partition) {
      throw new EventError('EVENT_INVALID', 'heartbeat copied from another partition');
    }
    const toleranceMs = (this.options.clockToleranceSeconds ?? 5) * 1000;
    if (heartbeat.publishedBeforeMs > this.clock.nowMs() + toleranceMs) {
      throw new EventError('EVENT_FROM_FUTURE', 'heartbeat dated ahead of this clock');
    }
    this.heartbeats++;
    // Heartbeats follow a snapshot's last part in its partition; until then they prove nothing.
    if (this.unsupported.has(heartbeat.partition) || this.snapshots.has(heartbeat.partition)) {
      return;
    }
    let byKid = this.freshness.get(heartbeat.partition);
    if (byKid === undefined) {
      byKid = new Map();
      this.freshness.set(heartbeat.partition, byKid);
    }
    byKid.set(kid, Math.max(byKid.get(kid) ?? 0, heartbeat.publishedBeforeMs));
  }

  private onRevocations(batch: RevocationBatch, position: EventPosition): void {
    const { snapshot } = batch;
    if (snapshot !== undefined && snapshot.partition !== position.partition) {
      throw new EventError('EVENT_INVALID', 'snapshot part copied from another partition');
    }
    for (const revocation of batch.revocations) {
      if (!this.trusts(revocation)) {
        // Another issuer's users, sessions, tokens or keys: no accepted token is theirs.
        this.untrustedIssuer++;
        continue;
      }
      const result = this.denylist.apply(revocation);
      if (revocation.scope === 'key' && this.isEventsIssuer(revocation.iss)) {
        this.distrustKeys([revocation.kid]);
      }
      if (result === 'applied') {
        this.applied++;
        this.lastPropagationMs = this.clock.nowMs() - revocation.revokedAtMs;
        if (this.ready) this.propagation.observe(this.lastPropagationMs / 1000);
        for (const listener of this.listeners) listener(revocation);
      } else if (result === 'duplicate') {
        this.duplicates++; // redelivered or replayed: nothing new, and no latency to observe
      } else {
        this.ignoredExpired++;
      }
    }
    if (batch.skipped > 0) this.reject('EVENT_INVALID', position, batch.skipped);
    if (batch.unsupported > 0) {
      this.reject('EVENT_VERSION_UNSUPPORTED', position, batch.unsupported);
      this.stopVouching(position.partition);
    }
    if (snapshot !== undefined) {
      // A later snapshot replaces one that never ended (its publisher failed and started over).
      if (snapshot.last) this.snapshots.delete(snapshot.partition);
      else this.snapshots.set(snapshot.partition, snapshot.id);
      this.readyIfDone();
    }
  }

  /** Whether a revocation can affect a token this guard accepts, or an event key it trusts. */
  private trusts(revocation: RevocationEvent): boolean {
    const issuers = this.options.issuers;
    return (
      issuers === undefined ||
      issuers.tokens.has(revocation.iss) ||
      (revocation.scope === 'key' && revocation.iss === issuers.events)
    );
  }

  private isEventsIssuer(iss: string): boolean {
    return this.options.issuers === undefined || this.options.issuers.events === iss;
  }

  /**
   * Caught up with what was published before this instance started. It is ready once no
   * snapshot it saw start is still unfinished: a snapshot replaces history the topic lost or
   * that an untrusted key signed, so the state before its end is not the auth service's.
   */
  onCaughtUp(): void {
    this.caughtUp = true;
    this.readyIfDone();
  }

  private readyIfDone(): void {
    if (this.ready || !this.caughtUp || this.snapshots.size > 0) return;
    this.ready = true;
    const size = this.denylist.size();
    this.logger.log(
      `caught up: ${this.applied} revocations applied (${size.token} tokens, ${size.session} sessions, ${size.user} users)`,
    );
  }

  private freshAsOfMs(): number | undefined {
    if (this.partitions.length === 0) return undefined;
    let oldest = Infinity;
    for (const partition of this.partitions) {
      const byKid = this.freshness.get(partition);
      if (byKid === undefined || byKid.size === 0) return undefined;
      const at = Math.max(...byKid.values());
      oldest = Math.min(oldest, at);
    }
    return oldest;
  }

  /** Counts a refused message; logs the first of each kind (never its content). */
  private reject(code: EventErrorCode, position: EventPosition, count: number): void {
    this.rejected[code] += count;
    if (!this.warned.has(code)) {
      this.warned.add(code);
      this.logger.warn(
        `skipped a message at partition ${position.partition} offset ${position.offset}: ${code} (further ${code} are counted, not logged)`,
      );
    }
  }
}
