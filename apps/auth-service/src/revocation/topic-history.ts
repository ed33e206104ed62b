import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../database/database.js';
import type { OutgoingMessage, PartitionWrite } from '../kafka/revocation-publisher.js';

/** A revocation still matters this long after its `expiresAt` (covers any guard's clock tolerance). */
export const MATTERS_MARGIN_SECONDS = 300;

/** Why the topic no longer holds what guards need, if it does not. */
export type HistoryLoss = 'offsets-went-back' | 'log-start-past-history';

/**
 * Remembers where the relay's revocation batches went while they matter, and the highest offset
 * written per partition, so that a topic that lost history is noticed on the next publish: offsets
 * that go back (the topic was deleted and recreated) or a log start past a batch that still
 * matters (retention or a manual delete removed it). Kept in the database, so a new relay leader
 * knows what the last one wrote.
 */
@Injectable()
export class TopicHistory {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Checks a publish's answer against what was written before, then records it. Returns the loss
   * it shows, if any; the caller publishes a snapshot (and then calls {@link restart}).
   */
  async afterPublish(
    messages: readonly OutgoingMessage[],
    writes: ReadonlyMap<number, PartitionWrite>,
    nowSeconds: number,
  ): Promise<HistoryLoss | undefined> {
    if (writes.size === 0) return undefined;
    const partitions = [...writes.keys()];
    const known = await this.db.query<{ partition: number; last_offset: string; needed: string }>(
      `SELECT p.partition, p.last_offset,
              COALESCE((SELECT MIN(b.base_offset) FROM topic_batches b
                         WHERE b.partition = p.partition AND b.expires_at >= $2), -1) AS needed
         FROM topic_partitions p WHERE p.partition = ANY($1::int[])`,
      [partitions, nowSeconds - MATTERS_MARGIN_SECONDS],
    );
    let loss: HistoryLoss | undefined;
    for (const row of known) {
      const write = writes.get(Number(row.partition));
      if (!write) continue;
      if (write.baseOffset <= Number(row.last_offset)) loss ??= 'offsets-went-back';
      const needed = Number(row.needed);
      if (needed >= 0 && write.logStartOffset > needed) loss ??= 'log-start-past-history';
    }
    await this.record(messages, writes);
    return loss;
  }

  /** After a snapshot: batches written before it no longer matter, the snapshot's do. */
  async restart(
    messages: readonly OutgoingMessage[],
    writes: ReadonlyMap<number, PartitionWrite>,
  ): Promise<void> {
    await this.db.query('DELETE FROM topic_batches WHERE partition = ANY($1::int[])', [
      [...writes.keys()],
    ]);
    await this.record(messages, writes);
  }

  /** Forgets batches that no longer matter. */
  async prune(nowSeconds: number): Promise<void> {
    await this.db.query('DELETE FROM topic_batches WHERE expires_at < $1', [
      nowSeconds - MATTERS_MARGIN_SECONDS,
    ]);
  }

  private async record(
    messages: readonly OutgoingMessage[],
    writes: ReadonlyMap<number, PartitionWrite>,
  ): Promise<void> {
    // Messages of one partition in one publish get consecutive offsets from its base offset.
    const next = new Map([...writes].map(([partition, w]) => [partition, w.baseOffset]));
    const batches: [number, number, number][] = [];
    for (const message of messages) {
      const offset = next.get(message.partition);
      if (offset === undefined) continue;
      next.set(message.partition, offset + 1);
      if (message.expiresAt !== undefined) {
        batches.push([message.partition, offset, message.expiresAt]);
      }
    }
    if (batches.length > 0) {
      await this.db.query(
        `INSERT INTO topic_batches (partition, base_offset, expires_at)
         SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[])
         ON CONFLICT (partition, base_offset) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
        [batches.map((b) => b[0]), batches.map((b) => b[1]), batches.map((b) => b[2])],
      );
    }
    const last = [...next].map(([partition, after]) => [partition, after - 1] as const);
    await this.db.query(
      `INSERT INTO topic_partitions (partition, last_offset)
       SELECT * FROM unnest($1::int[], $2::bigint[])
       ON CONFLICT (partition) DO UPDATE SET last_offset = EXCLUDED.last_offset`,
      [last.map((l) => l[0]), last.map((l) => l[1])],
    );
  }
}
