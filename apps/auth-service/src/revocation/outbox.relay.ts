import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DATABASE, type Database } from '../database/database.js';
import { REVOCATION_PUBLISHER, type RevocationPublisher } from '../kafka/revocation-publisher.js';

const BATCH_SIZE = 500;
const IDLE_POLL_MS = 1_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

interface OutboxRow {
  seq: string;
  message_key: string;
  payload: string;
}

/**
 * Moves committed events from the outbox table to Kafka, oldest first, deleting them only after
 * the broker acknowledged them: at least once, in order, and a Kafka outage only delays.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private published = 0;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(REVOCATION_PUBLISHER) private readonly publisher: RevocationPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
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
    let topicReady = false;
    while (this.running) {
      try {
        if (!topicReady) {
          await this.publisher.ensureTopic();
          topicReady = true;
        }
        const moved = await this.relayBatch();
        retryMs = RETRY_MIN_MS;
        if (moved === 0) await this.idle(IDLE_POLL_MS);
      } catch (err) {
        this.logger.warn(`publish failed (${(err as Error).message}); retrying in ${retryMs} ms`);
        await this.idle(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }

  private async relayBatch(): Promise<number> {
    this.pendingWake = false;
    const rows = await this.db.query<OutboxRow>(
      'SELECT seq, message_key, payload FROM outbox ORDER BY seq LIMIT $1',
      [BATCH_SIZE],
    );
    if (rows.length === 0) return 0;
    await this.publisher.publish(rows.map((r) => ({ key: r.message_key, value: r.payload })));
    // Delete exactly what was sent: a row committed meanwhile with a lower seq stays queued.
    await this.db.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [
      rows.map((r) => r.seq),
    ]);
    this.published += rows.length;
    return rows.length;
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
