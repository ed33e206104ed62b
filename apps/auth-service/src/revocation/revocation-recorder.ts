import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  encodeRevocationEvent,
  REVOCATION_EVENT_VERSION,
  revocationEventType,
  type RevocationEvent,
  type RevocationReason,
} from '@tokenfence/contract';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { DATABASE, type Database, type Queryable } from '../database/database.js';
import { CLOCK, type Clock } from '../time/clock.js';
import { AuthTracing } from '../tracing/auth-tracing.js';
import { OutboxRelay } from './outbox.relay.js';

export type EventTarget =
  | { readonly scope: 'token'; readonly jti: string }
  | { readonly scope: 'session'; readonly sid: string }
  | { readonly scope: 'user'; readonly cutoff: number }
  | { readonly scope: 'all'; readonly cutoff: number }
  | { readonly scope: 'key'; readonly kid: string };

/**
 * Who asked for a revocation: the user themself, an admin (by id), the system, or an identity
 * provider (by its id in `IDENTITY_PROVIDERS`).
 */
export type Initiator = 'self' | 'system' | `admin:${string}` | `provider:${string}`;

/** The issuer of the tokens a revocation covers, when it is not this service. */
export interface ForeignIssuer {
  readonly iss: string;
  /** Its access tokens' longest lifetime, in seconds: how long the revocation must be kept. */
  readonly maxTokenLifetimeSeconds: number;
  /** How far its clock may be ahead of ours, in seconds. */
  readonly clockSkewSeconds: number;
}

/** One revocation to record: what it covers, why, and who asked (the user themself by default). */
export interface RevocationRequest {
  /** The user concerned (for `all` and `key`: the admin who asked); the event's `sub`. */
  readonly userId: string;
  readonly target: EventTarget;
  readonly reason: RevocationReason;
  readonly initiatedBy?: Initiator;
  /** When the only token concerned expires, if known (a single access token). */
  readonly knownExpiry?: number;
  /** Another issuer's tokens (an identity provider's signal); this service's when absent. */
  readonly issuer?: ForeignIssuer;
}

/** Records one revocation and its event in the unit of work's transaction. */
export type Revoke = (request: RevocationRequest) => Promise<RevocationEvent>;

/**
 * The revocation unit of work: a transaction in which revocations are recorded together with
 * their events (transactional outbox). Once it commits, the events will be published, whatever
 * happens to Kafka or to us; the relay is woken once, and only when something was recorded.
 */
@Injectable()
export class RevocationRecorder {
  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly relay: OutboxRelay,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly tracing: AuthTracing = AuthTracing.off,
  ) {}

  /** Runs `work` in one transaction; `revoke` records into it. Rolled back if `work` throws. */
  async commit<T>(work: (tx: Queryable, revoke: Revoke) => Promise<T>): Promise<T> {
    let recorded = 0;
    const result = await this.db.transaction((tx) =>
      work(tx, async (request) => {
        const event = await this.record(tx, request);
        recorded++;
        return event;
      }),
    );
    if (recorded > 0) this.relay.wake();
    return result;
  }

  /**
   * The one expiry rule of every event: it is kept until every token it can cover has expired.
   * The latest `iat` such a token can carry is one second past the cutoff in force for it (the
   * user's and the global one; for `all` and `key`, any user's) or past now (see TokenIssuer);
   * it lives at most the longest access-token lifetime in force (see TokenIssuer's declarations),
   * whatever this instance's own.
   */
  private async expiresAt(
    tx: Queryable,
    userId: string,
    target: EventTarget,
    nowMs: number,
  ): Promise<number> {
    const now = Math.floor(nowMs / 1000);
    const anyUser = target.scope === 'all' || target.scope === 'key';
    const rows = await tx.query<{ cutoff: string | number; ttl: string | number }>(
      `SELECT GREATEST(
                COALESCE((SELECT value FROM settings WHERE name = 'global_cutoff'), 0),
                COALESCE((SELECT MAX(tokens_revoked_before) FROM users
                           WHERE $1::boolean OR id::text = $2), 0),
                COALESCE((SELECT MAX(tokens_revoked_before) FROM client_cutoffs
                           WHERE $1::boolean OR client_id = $2), 0)) AS cutoff,
              GREATEST($3::integer, COALESCE((SELECT MAX(ttl_seconds) FROM access_token_lifetimes
                                               WHERE issued_until + 1 + ttl_seconds >= $4), 0)) AS ttl`,
      [anyUser, userId, this.config.accessTokenTtlSeconds, now],
    );
    const cutoff = Math.max(
      Number(rows[0]?.cutoff ?? 0),
      target.scope === 'user' || target.scope === 'all' ? target.cutoff : 0,
    );
    const lastIat = Math.max(cutoff, now) + 1;
    return lastIat + Number(rows[0]?.ttl ?? this.config.accessTokenTtlSeconds);
  }

  /**
   * The expiry of a revocation of another issuer's tokens: we know nothing of its cutoffs or its
   * tokens but their longest lifetime, and that its clock may run ahead of ours.
   */
  private static foreignExpiresAt(
    issuer: ForeignIssuer,
    target: EventTarget,
    nowMs: number,
  ): number {
    const now = Math.floor(nowMs / 1000);
    const cutoff = target.scope === 'user' || target.scope === 'all' ? target.cutoff : 0;
    return Math.max(cutoff, now) + 1 + issuer.clockSkewSeconds + issuer.maxTokenLifetimeSeconds;
  }

  private async record(
    tx: Queryable,
    { userId, target, reason, initiatedBy = 'self', knownExpiry, issuer }: RevocationRequest,
  ): Promise<RevocationEvent> {
    const revokedAtMs = this.clock.nowMs();
    const event = {
      v: REVOCATION_EVENT_VERSION,
      id: randomUUID(),
      iss: issuer?.iss ?? this.config.issuer,
      sub: userId,
      revokedAtMs,
      expiresAt:
        knownExpiry ??
        (issuer
          ? RevocationRecorder.foreignExpiresAt(issuer, target, revokedAtMs)
          : await this.expiresAt(tx, userId, target, revokedAtMs)),
      reason,
      eventType: revocationEventType(target.scope, reason),
      ...target,
    } as RevocationEvent;
    await tx.query(
      `INSERT INTO revocations
         (id, scope, user_id, session_id, jti, cutoff, reason, revoked_at, expires_at, initiated_by, kid, iss)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        event.id,
        event.scope,
        userId,
        event.scope === 'session' ? event.sid : null,
        event.scope === 'token' ? event.jti : null,
        event.scope === 'user' || event.scope === 'all' ? event.cutoff : null,
        reason,
        new Date(revokedAtMs),
        event.expiresAt,
        initiatedBy,
        event.scope === 'key' ? event.kid : null,
        issuer?.iss ?? null,
      ],
    );
    await this.tracing.create(
      { eventId: event.id, scope: event.scope, reason },
      async ({ traceparent, tracestate }) => {
        await tx.query(
          `INSERT INTO outbox (event_id, message_key, payload, traceparent, tracestate)
           VALUES ($1, $2, $3, $4, $5)`,
          [
            event.id,
            userId,
            encodeRevocationEvent(event).toString('utf8'),
            traceparent,
            tracestate,
          ],
        );
      },
    );
    return event;
  }
}
