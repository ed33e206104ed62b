import { ClientAuthenticator } from '../oauth/client-authenticator.js';
import { ClientCutoffs } from '../oauth/client-cutoffs.js';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@tokenfence/revocation-guard';
import { DATABASE, type Database, type Queryable } from '../database/database.js';
import { AuthError } from '../errors/auth-error.js';
import { SigningKeys, type KeyPurpose } from '../keys/signing-keys.js';
import { OutboxRelay } from '../revocation/outbox.relay.js';
import {
  RevocationRecorder,
  type Initiator,
  type Revoke,
} from '../revocation/revocation-recorder.js';
import { RevocationSnapshot } from '../revocation/revocation-snapshot.js';
import { SessionsRepository } from '../sessions/sessions.repository.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersRepository } from '../users/users.repository.js';
import { CLOCK, epochSeconds, type Clock } from '../time/clock.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Key ids are JWK thumbprints (base64url), event keys prefixed with `events-`. */
const KID = /^[A-Za-z0-9_-]{1,128}$/;

export interface AuditEntry {
  readonly id: string;
  readonly scope: string;
  readonly user_id: string;
  /** The identity provider whose tokens it covered (its issuer); null for this service's. */
  readonly iss: string | null;
  readonly session_id: string | null;
  readonly jti: string | null;
  readonly kid: string | null;
  readonly cutoff: number | null;
  /** The revocation's reason, or the action (`account-enabled`, `key-rotation`). */
  readonly reason: string;
  readonly initiated_by: string | null;
  /** When it was revoked, or when the action was taken. */
  readonly revoked_at: string;
}

/**
 * Every admin action ends in a recorded, broadcast revocation, or (enabling a user, rotating a
 * key: nothing to revoke) in an `admin_actions` row; the audit log reads both.
 */
@Injectable()
export class AdminService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly keys: SigningKeys,
    private readonly recorder: RevocationRecorder,
    private readonly sessionsService: SessionsService,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly relay: OutboxRelay,
    private readonly snapshot: RevocationSnapshot,
    private readonly clients: ClientAuthenticator,
    private readonly clientCutoffs: ClientCutoffs,
  ) {}

  /**
   * A client cutoff: every token the client holds for itself (client credentials) issued until
   * now is refused everywhere; the client may ask for new ones. On the topic, a `user`
   * revocation of the client id (its tokens' `sub`). 404 for a client not configured for the
   * grant.
   */
  async revokeClientTokens(admin: Principal, clientId: string): Promise<void> {
    if (!this.clients.find(clientId)?.grantTypes.includes('client_credentials')) {
      throw new AuthError('NOT_FOUND', 'No such client with the client_credentials grant.');
    }
    await this.recorder.commit(async (tx, revoke) => {
      const cutoff = await this.clientCutoffs.raise(tx, clientId, () => epochSeconds(this.clock));
      await revoke({
        userId: clientId,
        target: { scope: 'user', cutoff },
        reason: 'admin',
        initiatedBy: this.initiator(admin),
      });
    });
  }

  /** Disables a user: every session and token they hold is revoked; login and refresh stop. */
  async disableUser(admin: Principal, userId: string): Promise<void> {
    await this.onUser(userId, async (tx, revoke) => {
      await this.sessionsService.revokeEveryToken(tx, revoke, {
        userId,
        reason: 'account-disabled',
        initiatedBy: this.initiator(admin),
      });
      await this.users.setDisabled(tx, userId, true);
    });
  }

  async enableUser(admin: Principal, userId: string): Promise<void> {
    await this.onUser(userId, async (tx) => {
      await this.users.setDisabled(tx, userId, false);
      await this.audited(tx, admin, { action: 'account-enabled', userId });
    });
  }

  async revokeSessions(admin: Principal, userId: string): Promise<void> {
    await this.onUser(userId, (tx, revoke) =>
      this.sessionsService.revokeEveryToken(tx, revoke, {
        userId,
        reason: 'admin',
        initiatedBy: this.initiator(admin),
      }),
    );
  }

  /**
   * New scopes: tokens carrying the old ones are revoked (a user cutoff), sessions stay, so the
   * next refresh carries the new scopes.
   */
  async changeScopes(admin: Principal, userId: string, scope: string): Promise<void> {
    await this.onUser(userId, async (tx, revoke) => {
      await this.users.setScope(tx, userId, scope);
      const cutoff = await this.users.raiseCutoff(tx, userId, epochSeconds(this.clock));
      await revoke({
        userId,
        target: { scope: 'user', cutoff },
        reason: 'token-claims-change',
        initiatedBy: this.initiator(admin),
      });
    });
  }

  /** Emergency stop: every session of every user ends, every token issued until now is refused. */
  async revokeAll(admin: Principal): Promise<void> {
    await this.recorder.commit(async (tx, revoke) => {
      await this.sessions.revokeEverySession(tx, 'emergency');
      const cutoff = await this.users.raiseGlobalCutoff(tx, epochSeconds(this.clock));
      await revoke({
        userId: admin.sub,
        target: { scope: 'all', cutoff },
        reason: 'emergency',
        initiatedBy: this.initiator(admin),
      });
    });
  }

  /** A new key of the kind, signing after the activation delay; audited in its transaction. */
  async rotateKey(
    admin: Principal,
    purpose: KeyPurpose = 'token',
  ): Promise<{ kid: string; activates_at: string }> {
    const { kid, activatesAt } = await this.keys.rotate(purpose, (tx, kid) =>
      this.audited(tx, admin, { action: 'key-rotation', kid }),
    );
    return { kid, activates_at: activatesAt.toISOString() };
  }

  /** A compromised key: it leaves the JWKS and every token it signed is refused everywhere. */
  async revokeKey(admin: Principal, kid: string): Promise<void> {
    // Anything else is no key of ours, and may not even be storable (U+0000).
    if (!KID.test(kid)) throw new AuthError('NOT_FOUND', 'No such key.');
    // The key leaves the JWKS in the same transaction as its event: both or neither.
    await this.recorder.commit(async (tx, revoke) => {
      const { found } = await this.keys.revoke(tx, kid);
      if (!found) throw new AuthError('NOT_FOUND', 'No such key.');
      await revoke({
        userId: admin.sub,
        target: { scope: 'key', kid },
        reason: 'key-compromise',
        initiatedBy: this.initiator(admin),
      });
    });
    await this.keys.reload();
  }

  /**
   * Republishes every revocation that still matters (a lost or damaged topic): the relay leader
   * publishes the snapshot within its next round, whichever instance it is.
   */
  async requestSnapshot(admin: Principal): Promise<void> {
    await this.snapshot.request('requested', this.initiator(admin));
    this.relay.wake();
  }

  async audit(limit: number): Promise<{ entries: AuditEntry[] }> {
    const rows = await this.db.query<
      Omit<AuditEntry, 'revoked_at' | 'cutoff'> & {
        revoked_at: Date | string;
        cutoff: string | number | null;
      }
    >(
      `SELECT id, scope, user_id, iss, session_id, jti, kid, cutoff, reason, initiated_by, revoked_at
         FROM revocations
       UNION ALL
       SELECT id, CASE WHEN kid IS NULL THEN 'user' ELSE 'key' END, user_id::text, NULL, NULL, NULL,
              kid, NULL, action, initiated_by, at
         FROM admin_actions
       ORDER BY revoked_at DESC LIMIT $1`,
      [limit],
    );
    return {
      entries: rows.map((r) => ({
        ...r,
        cutoff: r.cutoff === null ? null : Number(r.cutoff),
        revoked_at: new Date(r.revoked_at).toISOString(),
      })),
    };
  }

  private async onUser(
    userId: string,
    work: (tx: Queryable, revoke: Revoke) => Promise<void>,
  ): Promise<void> {
    if (!UUID.test(userId)) throw new AuthError('NOT_FOUND', 'No such user.');
    await this.recorder.commit(async (tx, revoke) => {
      if (!(await this.users.findById(userId, tx)))
        throw new AuthError('NOT_FOUND', 'No such user.');
      await work(tx, revoke);
    });
  }

  /** Records an admin action that revokes nothing, for {@link audit}. */
  private async audited(
    tx: Queryable,
    admin: Principal,
    entry:
      | { readonly action: 'account-enabled'; readonly userId: string }
      | { readonly action: 'key-rotation'; readonly kid: string },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO admin_actions (id, action, user_id, kid, initiated_by, at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        randomUUID(),
        entry.action,
        // The admin's user id; none for a client's token (a signals hub has no users).
        'userId' in entry ? entry.userId : UUID.test(admin.sub) ? admin.sub : null,
        'kid' in entry ? entry.kid : null,
        this.initiator(admin),
        new Date(this.clock.nowMs()),
      ],
    );
  }

  private initiator(admin: Principal): Initiator {
    return `admin:${admin.sub}`;
  }
}
