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
import type { Queryable } from '../database/database.js';

type EventTarget =
  | { readonly scope: 'token'; readonly jti: string }
  | { readonly scope: 'session'; readonly sid: string }
  | { readonly scope: 'user'; readonly cutoff: number }
  | { readonly scope: 'all'; readonly cutoff: number }
  | { readonly scope: 'key'; readonly kid: string };

/** Who asked for a revocation: the user themself, an admin (by id), or the system. */
export type Initiator = 'self' | 'system' | `admin:${string}`;

/**
 * Records a revocation and its event in the caller's transaction (transactional outbox): once
 * the transaction commits, the event will be published, whatever happens to Kafka or to us.
 */
@Injectable()
export class RevocationRecorder {
  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {}

  async record(
    tx: Queryable,
    userId: string,
    target: EventTarget,
    reason: RevocationReason,
    /** When the only token concerned expires, if known (a single access token). */
    knownExpiry?: number,
    initiatedBy: Initiator = 'self',
  ): Promise<RevocationEvent> {
    const revokedAtMs = Date.now();
    const nowSeconds = Math.floor(revokedAtMs / 1000);
    // The last token this can affect was issued at most 1 s ahead (see TokenIssuer) and lives
    // one access-token lifetime; a user cutoff covers tokens issued up to the cutoff itself.
    const lastIat =
      target.scope === 'user' ? Math.max(target.cutoff, nowSeconds + 1) : nowSeconds + 1;
    const event = {
      v: REVOCATION_EVENT_VERSION,
      id: randomUUID(),
      iss: this.config.issuer,
      sub: userId,
      revokedAtMs,
      expiresAt: knownExpiry ?? lastIat + this.config.accessTokenTtlSeconds,
      reason,
      eventType: revocationEventType(target.scope, reason),
      ...target,
    } as RevocationEvent;
    await tx.query(
      `INSERT INTO revocations
         (id, scope, user_id, session_id, jti, cutoff, reason, revoked_at, expires_at, initiated_by, kid)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
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
      ],
    );
    await tx.query('INSERT INTO outbox (event_id, message_key, payload) VALUES ($1, $2, $3)', [
      event.id,
      userId,
      encodeRevocationEvent(event).toString('utf8'),
    ]);
    return event;
  }
}
