import type { RevocationEvent } from '@tokenfence/contract';
import type { EventSink, RevocationEventSource } from '../core/event-source.js';
import type { RevocationDetails, RevocationTarget, TestIssuer } from './test-issuer.js';

export interface InMemoryEventSourceOptions {
  /**
   * Heartbeats sent on a timer (unref'd), so a test running longer than `maxStalenessMs` stays
   * fresh. Default 1000; 0 sends them only on start and after each publish.
   */
  readonly heartbeatIntervalMs?: number;
}

/**
 * The revocation topic in memory: one partition, no broker. On start it sends a heartbeat and
 * reports itself caught up, so the guard is ready and fresh at once; each `publish` or `revoke...`
 * resolves once the guard has applied the event. Give it as the module's `eventSource`
 * (`kafka` is then not needed); `stop()` resolves at once.
 */
export class InMemoryEventSource implements RevocationEventSource {
  private sink: EventSink | undefined;
  private offset = 0;
  private delivering: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly heartbeatIntervalMs: number;

  constructor(
    private readonly issuer: TestIssuer,
    options: InMemoryEventSourceOptions = {},
  ) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
  }

  async start(sink: EventSink): Promise<void> {
    this.sink = sink;
    sink.onPartitions([0]);
    await this.heartbeat();
    sink.onCaughtUp();
    if (this.heartbeatIntervalMs > 0) {
      this.timer = setInterval(() => {
        this.heartbeat().catch(() => undefined);
      }, this.heartbeatIntervalMs);
      this.timer.unref();
    }
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sink = undefined;
    return Promise.resolve();
  }

  /** Whether the guard has started this source and not stopped it. */
  get started(): boolean {
    return this.sink !== undefined;
  }

  /** Publishes revocations as one signed batch, then a heartbeat; resolves once applied. */
  async publish(...revocations: RevocationEvent[]): Promise<void> {
    await this.deliver(await this.issuer.revocationBatch(revocations));
    await this.heartbeat();
  }

  /** Revokes the session of `target` (a token of the issuer, or `{ sub, sid }`). */
  revokeSession(target: RevocationTarget<'sid'>, details?: RevocationDetails): Promise<void> {
    return this.publish(this.issuer.sessionRevoked(target, details));
  }

  /** Revokes one access token (a token of the issuer, or `{ sub, jti }`). */
  revokeToken(target: RevocationTarget<'jti'>, details?: RevocationDetails): Promise<void> {
    return this.publish(this.issuer.tokenRevoked(target, details));
  }

  /** Revokes every token of `sub` issued at or before `cutoff` (default now). */
  revokeUser(
    sub: string,
    details?: RevocationDetails & { readonly cutoff?: number },
  ): Promise<void> {
    return this.publish(this.issuer.userTokensRevoked(sub, details));
  }

  /** Proves freshness as of now (or `publishedBeforeMs`). */
  async heartbeat(publishedBeforeMs?: number): Promise<void> {
    await this.deliver(await this.issuer.heartbeat(0, publishedBeforeMs));
  }

  /**
   * Delivers one raw message (a SET the test built itself, a forged or malformed one), in order
   * after everything before it; resolves once the guard has handled it.
   */
  deliver(value: string | Buffer | null): Promise<void> {
    const sink = this.sink;
    if (sink === undefined) {
      return Promise.reject(new Error('InMemoryEventSource: not started (or stopped) by a guard'));
    }
    const buffer = typeof value === 'string' ? Buffer.from(value) : value;
    const position = {
      partition: 0,
      offset: String(this.offset++),
      timestampMs: this.issuer.clock.nowMs(),
    };
    const next = this.delivering.then(() => sink.onMessage(buffer, position));
    this.delivering = next.catch(() => undefined);
    return next;
  }
}
