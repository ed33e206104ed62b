import { Inject, Injectable } from '@nestjs/common';
import type { RevocationReason } from '@tokenfence/contract';
import type { SessionPrincipal } from '../auth/session-principal.js';
import { AuthError } from '../errors/auth-error.js';
import { BrowserSessions } from '../oauth/browser-sessions.js';
import type { Queryable } from '../database/database.js';
import {
  RevocationRecorder,
  type Initiator,
  type Revoke,
} from '../revocation/revocation-recorder.js';
import { CLOCK, epochSeconds, type Clock } from '../time/clock.js';
import { UsersRepository } from '../users/users.repository.js';
import { SessionsRepository } from './sessions.repository.js';

export interface SessionListItem {
  readonly sid: string;
  readonly created_at: string;
  readonly last_used_at: string;
  readonly user_agent: string | null;
  readonly ip: string | null;
  readonly current: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The devices a user is logged in on, and logging one of them out. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly recorder: RevocationRecorder,
    private readonly users: UsersRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly browserSessions: BrowserSessions,
  ) {}

  async list(principal: SessionPrincipal): Promise<{ sessions: SessionListItem[] }> {
    const live = await this.sessions.listLive(principal.sub);
    return {
      sessions: live.map((s) => ({
        sid: s.sid,
        created_at: s.createdAt.toISOString(),
        last_used_at: s.lastUsedAt.toISOString(),
        user_agent: s.userAgent,
        ip: s.ip,
        current: s.sid === principal.sid,
      })),
    };
  }

  /** Revokes the caller's session: every access token of it, everywhere, and its refresh token. */
  async logout(principal: SessionPrincipal): Promise<void> {
    await this.endSession(principal.sub, principal.sid, 'logout');
  }

  /** Logs one device out; 404 for a session that is not the caller's (or not live). */
  async revoke(principal: SessionPrincipal, sid: string): Promise<void> {
    if (!UUID.test(sid) || !(await this.endSession(principal.sub, sid, 'logout'))) {
      throw new AuthError('NOT_FOUND', 'No such session.');
    }
  }

  /**
   * Ends one live session of a user and broadcasts it: every access token of the session is
   * refused everywhere, its refresh token too, and the browser session (hosted login) it was
   * opened from ends. False when it was not live (or not theirs).
   */
  async endSession(userId: string, sid: string, reason: RevocationReason): Promise<boolean> {
    return this.recorder.commit(async (tx, revoke) => {
      // Browser sessions before token sessions, before users: the lock order of every writer.
      await this.browserSessions.endOfSession(tx, userId, sid);
      if (!(await this.sessions.revoke(tx, userId, sid, reason))) return false;
      await revoke({ userId, target: { scope: 'session', sid }, reason });
      return true;
    });
  }

  /**
   * In a unit of work: ends every session of a user and revokes every access token issued to
   * them so far (a user cutoff), and ends every browser session of theirs (hosted login). Browser
   * sessions, then sessions, then the user row: the lock order a code exchange and a refresh use.
   */
  async revokeEveryToken(
    tx: Queryable,
    revoke: Revoke,
    revocation: {
      readonly userId: string;
      readonly reason: 'logout-all' | 'account-disabled' | 'admin';
      readonly initiatedBy?: Initiator;
    },
  ): Promise<void> {
    const { userId } = revocation;
    await this.browserSessions.endAllOfUser(tx, userId);
    const sids = await this.sessions.revokeAllOfUser(tx, userId, revocation.reason);
    const now = epochSeconds(this.clock);
    const cutoff = await this.users.raiseCutoff(tx, userId, now);
    await revoke({ ...revocation, target: { scope: 'user', cutoff } });
    // A cutoff written more than 1 s ahead before cutoffs were capped is kept, but it does not
    // cover the tokens dated cutoff + 1 under it: their sessions are revoked by id as well.
    if (cutoff > now + 1) {
      for (const sid of sids) await revoke({ ...revocation, target: { scope: 'session', sid } });
    }
  }
}
