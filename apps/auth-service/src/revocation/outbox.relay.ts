import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  MAX_BATCH_REVOCATIONS,
  validateRevocationEvent,
  type RevocationEvent,
} from '@tokenfence/contract';
import { AuthMetrics } from '../metrics/auth-metrics.js';
import { DATABASE, type Database, type DatabaseLock } from '../database/database.js';
import {
  REVOCATION_PUBLISHER,
  type OutgoingMessage,
  type RevocationPublisher,
} from '../kafka/revocation-publisher.js';
import type { ActiveSigningKey } from '../keys/signing-keys.js';
import { CLOCK, epochSeconds, type Clock } from '../time/clock.js';
import { AuthTracing } from '../tracing/auth-tracing.js';
import { EventSigner } from './event-signer.js';
import { RevocationSnapshot } from './revocation-snapshot.js';
import { TopicHistory } from './topic-history.js';

const ROWS_PER_ROUND = 2_000;
const IDLE_POLL_MS = 250;
const HEARTBEAT_INTERVAL_MS = 1_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Advisory lock id: one relay at a time among all auth-service instances of a database. */
const RELAY_LOCK_KEY = 7_283_402;
const STANDBY_POLL_MS = 2_000;
const HISTORY_PRUNE_INTERVAL_MS = 60_000;

interface OutboxRow {
  seq: string;
  message_key: string;
  payload: string;
  /** W3C trace context of the span that recorded it; NULL with tracing off or before it. */
  traceparent: string | null;
  tracestate: string | null;
}

/**
 * Moves committed revocations from the outbox table to Kafka, oldest first, deleting them only
 * after the broker acknowledged them: at least once, in order per user, and a Kafka outage only
 * delays. Each round's revocations go out as one signed batch per partition; a signed heartbeat
 * per partition then vouches that everything committed before a given instant has been published.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private published = 0;
  private partitions: readonly number[] = [];
  private drainedAsOfMs = 0;
  private lastHeartbeatMs = 0;
  private lock: DatabaseLock | undefined;
  /** The event key this relay last signed with; undefined until read from the database. */
  private lastEventKid: string | undefined;
  private lastHistoryPruneMs = 0;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(REVOCATION_PUBLISHER) private readonly publisher: RevocationPublisher,
    private readonly signer: EventSigner,
    private readonly snapshot: RevocationSnapshot,
    private readonly history: TopicHistory,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: AuthMetrics,
    private readonly tracing: AuthTracing,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.lock?.release();
    this.metrics.relayLeader.set(0);
    await this.publisher.close().catch(() => undefined);
  }

  /** Called after a commit that added events, so they go out without waiting for the poll. */
  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  publishedCount(): number {
    return this.published;
  }

  private async run(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    let failures = 0;
    while (this.running) {
      try {
        if (!(await this.lead())) {
          await this.idle(STANDBY_POLL_MS);
          continue;
        }
        if (this.partitions.length === 0) await this.openTopic();
        // One event key for the whole round: see EventSigner.currentKey. None while a revoked
        // one's replacement is published ahead of signing: wait for it.
        const key = this.signer.currentKey();
        if (!key) {
          await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS)); // even if woken
          continue;
        }
        await this.checkEventKey(key);
        await this.snapshot.publishPending(this.partitions, key);
        const moved = await this.relayRound(key);
        await this.heartbeatIfDue(key);
        await this.pruneHistoryIfDue();
        retryMs = RETRY_MIN_MS;
        failures = 0;
        if (moved < ROWS_PER_ROUND) await this.idle(IDLE_POLL_MS);
      } catch (err) {
        // The topic may have been deleted: create it again (and snapshot onto it) before the
        // next try; after a few failures of any kind, look again too.
        failures++;
        if (topicMissing(err) || failures % 5 === 0) this.partitions = [];
        this.logger.warn(`publish failed (${(err as Error).message}); retrying in ${retryMs} ms`);
        await this.idle(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }

  /** True while this instance holds the relay lock; tries to take it when free. */
  private async lead(): Promise<boolean> {
    if (this.lock?.isHeld()) return true;
    if (this.lock) this.logger.warn('lost the relay lock; standing by');
    this.metrics.relayLeader.set(0);
    this.lock = await this.db.tryLock(RELAY_LOCK_KEY);
    if (this.lock) this.logger.log('holding the relay lock: this instance publishes revocations');
    this.metrics.relayLeader.set(this.lock ? 1 : 0);
    return this.lock !== undefined;
  }

  private async openTopic(): Promise<void> {
    const topic = await this.publisher.ensureTopic();
    if (topic.created) {
      // Nothing published before exists on a new topic: republish what still matters.
      await this.snapshot.request('topic-reset');
    }
    this.partitions = topic.partitions;
  }

  /**
   * When the event key this relay (or the last leader) signed with has been revoked, nothing it
   * signed is trusted any more: a snapshot under the new key goes out before anything else.
   */
  private async checkEventKey(key: ActiveSigningKey): Promise<void> {
    if (key.kid === this.lastEventKid) return;
    const [previous] = await this.db.query<{ value: string; revoked: boolean | null }>(
      `SELECT s.value, (SELECT k.revoked_at IS NOT NULL FROM signing_keys k WHERE k.kid = s.value) AS revoked
         FROM relay_state s WHERE s.name = 'event_kid'`,
    );
    if (previous && previous.value !== key.kid && previous.revoked !== false) {
      this.logger.warn(`event key ${previous.value} was revoked: publishing a snapshot`);
      await this.snapshot.request('event-key-revoked');
    }
    await this.db.query(
      `INSERT INTO relay_state (name, value) VALUES ('event_kid', $1)
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
      [key.kid],
    );
    this.lastEventKid = key.kid;
  }

  /** Publishes, then checks the broker's answer for lost history (a snapshot follows). */
  private async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    const writes = await this.publisher.publish(messages);
    const loss = await this.history.afterPublish(messages, writes, epochSeconds(this.clock));
    if (loss) {
      this.logger.warn(`the topic lost history (${loss}): publishing a snapshot`);
      await this.snapshot.request('topic-reset');
    }
  }

  private async pruneHistoryIfDue(): Promise<void> {
    const now = this.clock.nowMs();
    if (now - this.lastHistoryPruneMs < HISTORY_PRUNE_INTERVAL_MS) return;
    this.lastHistoryPruneMs = now;
    await this.history.prune(Math.floor(now / 1000));
  }

  private async relayRound(key: ActiveSigningKey): Promise<number> {
    this.pendingWake = false;
    // Everything committed before this instant is visible to the query below.
    const snapshotMs = this.clock.nowMs();
    const rows = await this.db.query<OutboxRow>(
      'SELECT seq, message_key, payload, traceparent, tracestate FROM outbox ORDER BY seq LIMIT $1',
      [ROWS_PER_ROUND],
    );
    if (rows.length > 0) {
      const [messages, scopes] = await this.sign(rows, key);
      // With tracing on: one `send` span linked to the rows' contexts; its traceparent on each message.
      await this.tracing.send(rows, messages.length, (headers) =>
        this.publish(headers ? messages.map((m) => ({ ...m, headers })) : messages),
      );
      for (const [scope, n] of scopes) this.metrics.eventsPublished.inc({ type: scope }, n);
      // Delete exactly what was sent: a row committed meanwhile with a lower seq stays queued.
      await this.db.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [
        rows.map((r) => r.seq),
      ]);
      this.published += rows.length;
    }
    if (rows.length < ROWS_PER_ROUND) this.drainedAsOfMs = snapshotMs;
    return rows.length;
  }

  /** One signed batch per partition (and per MAX_BATCH_REVOCATIONS), in outbox order. */
  private async sign(
    rows: readonly OutboxRow[],
    key: ActiveSigningKey,
  ): Promise<[OutgoingMessage[], Map<string, number>]> {
    const byPartition = new Map<number, RevocationEvent[]>();
    const scopes = new Map<string, number>();
    for (const row of rows) {
      const partition = this.publisher.partitionFor(row.message_key);
      const list = byPartition.get(partition) ?? [];
      // Stored data is checked like any other input: a row that is no event stops the relay
      // (loudly, retried) rather than going out unchecked.
      const event = validateRevocationEvent(JSON.parse(row.payload));
      list.push(event);
      byPartition.set(partition, list);
      scopes.set(event.scope, (scopes.get(event.scope) ?? 0) + 1);
    }
    const messages: OutgoingMessage[] = [];
    for (const [partition, events] of byPartition) {
      for (let i = 0; i < events.length; i += MAX_BATCH_REVOCATIONS) {
        const chunk = events.slice(i, i + MAX_BATCH_REVOCATIONS);
        const value = await this.signer.revocationBatch(chunk, key);
        messages.push({ partition, value, expiresAt: Math.max(...chunk.map((e) => e.expiresAt)) });
      }
    }
    return [messages, scopes];
  }

  private async heartbeatIfDue(key: ActiveSigningKey): Promise<void> {
    const now = this.clock.nowMs();
    if (this.drainedAsOfMs === 0 || now - this.lastHeartbeatMs < HEARTBEAT_INTERVAL_MS) return;
    // A leader that lost its lease stays silent, whatever it had drained before.
    if (!this.lock?.isHeld()) return;
    const asOf = this.drainedAsOfMs;
    const messages = await Promise.all(
      this.partitions.map(async (partition) => ({
        partition,
        value: await this.signer.heartbeat(partition, asOf, key),
      })),
    );
    await this.publish(messages);
    this.metrics.eventsPublished.inc({ type: 'heartbeat' }, messages.length);
    this.lastHeartbeatMs = now;
  }

  private idle(ms: number): Promise<void> {
    if (this.pendingWake || !this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).then(() => {
      this.wakeUp = undefined;
    });
  }
}

/** Whether a publish failed because the topic (or one of its partitions) does not exist. */
function topicMissing(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if ((e as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  }
  return false;
}
