import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  EventError,
  MAX_BATCH_REVOCATIONS,
  revocationEventType,
  validateRevocationEvent,
  type RevocationEvent,
  type SnapshotReason,
} from '@tokenfence/contract';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { DATABASE, type Database } from '../database/database.js';
import {
  REVOCATION_PUBLISHER,
  type OutgoingMessage,
  type PartitionWrite,
  type RevocationPublisher,
} from '../kafka/revocation-publisher.js';
import type { ActiveSigningKey } from '../keys/signing-keys.js';
import { CLOCK, epochSeconds, type Clock } from '../time/clock.js';
import { EventSigner } from './event-signer.js';
import { MATTERS_MARGIN_SECONDS, TopicHistory } from './topic-history.js';

/** Rows read from the revocations table per page: bounds memory whatever the table's size. */
const PAGE_ROWS = 5_000;

interface RevocationRow {
  id: string;
  scope: string;
  user_id: string;
  session_id: string | null;
  /** An identity provider's issuer; NULL for this service's own tokens. */
  iss: string | null;
  jti: string | null;
  kid: string | null;
  cutoff: string | number | null;
  reason: string;
  revoked_at: Date | string;
  expires_at: string | number;
}

/**
 * Republishes every revocation that still matters, signed with the current event key, as a
 * snapshot (contract revision 2): ordinary batches carrying a marker, then a last, possibly empty,
 * part in every partition. Published when the event key was revoked (nothing it signed is trusted
 * any more), when the topic lost history, and when an admin asks.
 */
@Injectable()
export class RevocationSnapshot {
  private readonly logger = new Logger('RevocationSnapshot');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(REVOCATION_PUBLISHER) private readonly publisher: RevocationPublisher,
    private readonly signer: EventSigner,
    private readonly history: TopicHistory,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Asks the relay leader, whichever instance it is, for a snapshot. */
  async request(reason: SnapshotReason, requestedBy?: string): Promise<void> {
    await this.db.query('INSERT INTO snapshot_requests (reason, requested_by) VALUES ($1, $2)', [
      reason,
      requestedBy ?? null,
    ]);
  }

  /** Publishes one snapshot for every request pending; resolves once all are done. */
  async publishPending(partitions: readonly number[], key: ActiveSigningKey): Promise<boolean> {
    const pending = await this.db.query<{ id: string; reason: string }>(
      'SELECT id, reason FROM snapshot_requests WHERE done_at IS NULL ORDER BY id',
    );
    if (pending.length === 0) return false;
    const reason = pending[0].reason;
    const count = await this.publish(partitions, key, reason);
    await this.db.query(
      'UPDATE snapshot_requests SET done_at = now() WHERE id = ANY($1::bigint[])',
      [pending.map((p) => p.id)],
    );
    this.logger.warn(
      `published a snapshot of ${count} revocations under ${key.kid} (${pending.map((p) => p.reason).join(', ')})`,
    );
    return true;
  }

  private async publish(
    partitions: readonly number[],
    key: ActiveSigningKey,
    reason: SnapshotReason,
  ): Promise<number> {
    const id = `snap-${randomUUID()}`;
    const parts = new Map(partitions.map((p) => [p, 0]));
    const marker = (partition: number, last: boolean) => {
      const part = parts.get(partition) ?? 0;
      parts.set(partition, part + 1);
      return { id, partition, part, last, reason };
    };
    const fromSeconds = epochSeconds(this.clock) - MATTERS_MARGIN_SECONDS;
    let count = 0;
    let first = true;
    let after: { revokedAt: Date; id: string } | undefined;
    for (;;) {
      const rows = await this.page(fromSeconds, after);
      if (rows.length === 0) break;
      const last = rows[rows.length - 1];
      after = { revokedAt: new Date(last.revoked_at), id: last.id };
      const byPartition = new Map<number, RevocationEvent[]>();
      for (const row of rows) {
        const event = this.toEvent(row);
        if (!event) continue;
        const partition = this.publisher.partitionFor(row.user_id);
        const list = byPartition.get(partition) ?? [];
        list.push(event);
        byPartition.set(partition, list);
        count++;
      }
      const messages: OutgoingMessage[] = [];
      for (const [partition, events] of byPartition) {
        for (let i = 0; i < events.length; i += MAX_BATCH_REVOCATIONS) {
          const chunk = events.slice(i, i + MAX_BATCH_REVOCATIONS);
          messages.push({
            partition,
            value: await this.signer.revocationBatch(chunk, key, marker(partition, false)),
            expiresAt: Math.max(...chunk.map((e) => e.expiresAt)),
          });
        }
      }
      await this.send(messages, first);
      first = false;
      if (rows.length < PAGE_ROWS) break;
    }
    const ends: OutgoingMessage[] = [];
    for (const partition of partitions) {
      ends.push({
        partition,
        value: await this.signer.revocationBatch([], key, marker(partition, true)),
      });
    }
    await this.send(ends, first);
    return count;
  }

  private async send(messages: readonly OutgoingMessage[], first: boolean): Promise<void> {
    const writes: ReadonlyMap<number, PartitionWrite> = await this.publisher.publish(messages);
    // The snapshot's first writes replace what each partition held before.
    if (first) await this.history.restart(messages, writes);
    else await this.history.afterPublish(messages, writes, epochSeconds(this.clock));
  }

  private page(fromSeconds: number, after?: { revokedAt: Date; id: string }) {
    return this.db.query<RevocationRow>(
      `SELECT id, scope, user_id, session_id, jti, kid, cutoff, reason, revoked_at, expires_at, iss
         FROM revocations
        WHERE expires_at >= $1 AND ($2::timestamptz IS NULL OR (revoked_at, id) > ($2, $3::uuid))
        ORDER BY revoked_at, id LIMIT $4`,
      [fromSeconds, after?.revokedAt ?? null, after?.id ?? null, PAGE_ROWS],
    );
  }

  /** The event as it was published, read back through the contract's validation. */
  private toEvent(row: RevocationRow): RevocationEvent | undefined {
    const target =
      row.scope === 'token'
        ? { jti: row.jti }
        : row.scope === 'session'
          ? { sid: row.session_id }
          : row.scope === 'key'
            ? { kid: row.kid }
            : { cutoff: row.cutoff === null ? null : Number(row.cutoff) };
    try {
      return validateRevocationEvent({
        v: 1,
        id: row.id,
        iss: row.iss ?? this.config.issuer,
        sub: row.user_id,
        scope: row.scope,
        ...target,
        reason: row.reason,
        eventType: revocationEventType(row.scope as RevocationEvent['scope'], row.reason),
        revokedAtMs: new Date(row.revoked_at).getTime(),
        expiresAt: Number(row.expires_at),
      });
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      this.logger.error(`revocation ${row.id} cannot be republished: ${err.message}`);
      return undefined;
    }
  }
}
