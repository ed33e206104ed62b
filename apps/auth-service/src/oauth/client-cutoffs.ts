import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.js';
import { RAISED_CUTOFF } from '../users/users.repository.js';

/**
 * Client cutoffs: a client's own tokens (client credentials, `sub` = client id) with `iat` at or
 * before its cutoff are revoked, as a user cutoff revokes a user's tokens. On the topic it is a
 * `user` revocation whose `sub` is the client id.
 */
@Injectable()
export class ClientCutoffs {
  /**
   * The cutoff in force for a client's new token (its own and the global one), holding a share
   * lock on its row for the rest of the transaction: a cutoff raised meanwhile commits either
   * before this read, and is seen, or after the caller's transaction, and covers what it issued.
   */
  async lockForIssuance(tx: Queryable, clientId: string): Promise<number> {
    await tx.query(
      `INSERT INTO client_cutoffs (client_id, tokens_revoked_before) VALUES ($1, 0)
       ON CONFLICT (client_id) DO NOTHING`,
      [clientId],
    );
    const rows = await tx.query<{ cutoff: string | number }>(
      `SELECT GREATEST(c.tokens_revoked_before,
                       COALESCE((SELECT value FROM settings WHERE name = 'global_cutoff'), 0)) AS cutoff
         FROM client_cutoffs c WHERE c.client_id = $1 FOR SHARE OF c`,
      [clientId],
    );
    return Number(rows[0]?.cutoff ?? 0);
  }

  /** The cutoff of a client now (its own and the global one), without locking. */
  async current(tx: Queryable, clientId: string): Promise<number> {
    const rows = await tx.query<{ cutoff: string | number }>(
      `SELECT GREATEST(
                COALESCE((SELECT tokens_revoked_before FROM client_cutoffs WHERE client_id = $1), 0),
                COALESCE((SELECT value FROM settings WHERE name = 'global_cutoff'), 0)) AS cutoff`,
      [clientId],
    );
    return Number(rows[0]?.cutoff ?? 0);
  }

  /**
   * Raises a client's cutoff to cover every token issued to it so far, by the rule of
   * `UsersRepository.raiseCutoff`: at least now, past a token dated one second after an earlier
   * cutoff of this second, never more than 1 s past now. "Now" is read once the row is locked,
   * so an issuance that held it (and may have dated its token a second later) is covered.
   * Returns the cutoff now in force.
   */
  async raise(tx: Queryable, clientId: string, nowSeconds: () => number): Promise<number> {
    await tx.query(
      `INSERT INTO client_cutoffs (client_id, tokens_revoked_before) VALUES ($1, 0)
       ON CONFLICT (client_id) DO NOTHING`,
      [clientId],
    );
    await tx.query('SELECT 1 FROM client_cutoffs WHERE client_id = $1 FOR UPDATE', [clientId]);
    const rows = await tx.query<{ tokens_revoked_before: string | number }>(
      `UPDATE client_cutoffs SET tokens_revoked_before = ${RAISED_CUTOFF}
       WHERE client_id = $1 RETURNING tokens_revoked_before`,
      [clientId, nowSeconds()],
    );
    return Number(rows[0]?.tokens_revoked_before ?? 0);
  }
}
