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
import { DATABASE, type Database, type DatabaseLock } from '../database/database.js';
import {
  REVOCATION_PUBLISHER,
  type OutgoingMessage,
  type RevocationPublisher,
} from '../kafka/revocation-publisher.js';
import { EventSigner } from './event-signer.js';

const ROWS_PER_ROUND = 2_000;
const IDLE_POLL_MS = 250;
const HEARTBEAT_INTERVAL_MS = 1_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Advisory lock id: one relay at a time among all auth-service instances of a database. */
const RELAY_LOCK_KEY = 7_283_402;
const STANDBY_POLL_MS = 2_000;

interface OutboxRow {
  seq: string;
  message_key: string;
  payload: string;
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

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(REVOCATION_PUBLISHER) private readonly publisher: RevocationPublisher,
    private readonly signer: EventSigner,
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
    while (this.running) {
      try {
        if (!(await this.lead())) {
          await this.idle(STANDBY_POLL_MS);
          continue;
        }
        if (this.partitions.length === 0) this.partitions = await this.publisher.ensureTopic();
        const moved = await this.relayRound();
        await this.heartbeatIfDue();
        retryMs = RETRY_MIN_MS;
        if (moved < ROWS_PER_ROUND) await this.idle(IDLE_POLL_MS);
      } catch (err) {
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
    this.lock = await this.db.tryLock(RELAY_LOCK_KEY);
    if (this.lock) this.logger.log('holding the relay lock: this instance publishes revocations');
    return this.lock !== undefined;
  }

  private async relayRound(): Promise<number> {
    this.pendingWake = false;
    // Everything committed before this instant is visible to the query below.
    const snapshotMs = Date.now();
    const rows = await this.db.query<OutboxRow>(
      'SELECT seq, message_key, payload FROM outbox ORDER BY seq LIMIT $1',
      [ROWS_PER_ROUND],
    );
    if (rows.length > 0) {
      await this.publisher.publish(await this.sign(rows));
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
  private async sign(rows: readonly OutboxRow[]): Promise<OutgoingMessage[]> {
    const byPartition = new Map<number, RevocationEvent[]>();
    for (const row of rows) {
      const partition = this.publisher.partitionFor(row.message_key);
      const list = byPartition.get(partition) ?? [];
      // Stored data is checked like any other input: a row that is no event stops the relay
      // (loudly, retried) rather than going out unchecked.
      list.push(validateRevocationEvent(JSON.parse(row.payload)));
      byPartition.set(partition, list);
    }
    const messages: OutgoingMessage[] = [];
    for (const [partition, events] of byPartition) {
      for (let i = 0; i < events.length; i += MAX_BATCH_REVOCATIONS) {
        const value = await this.signer.revocationBatch(events.slice(i, i + MAX_BATCH_REVOCATIONS));
        messages.push({ partition, value });
      }
    }
    return messages;
  }

  private async heartbeatIfDue(): Promise<void> {
    const now = Date.now();
    if (this.drainedAsOfMs === 0 || now - this.lastHeartbeatMs < HEARTBEAT_INTERVAL_MS) return;
    const asOf = this.drainedAsOfMs;
    const messages = await Promise.all(
      this.partitions.map(async (partition) => ({
        partition,
        value: await this.signer.heartbeat(partition, asOf),
      })),
    );
    await this.publisher.publish(messages);
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
