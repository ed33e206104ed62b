import { describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { call } from './support/http.js';
import { useSystem } from './support/use-system.js';
import { login, register, uniqueName, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';

describe('a refresh racing a logout-all (PostgreSQL)', () => {
  const system = useSystem({ database: 'postgres' });

  it('a refresh sent while a logout-all is committing never yields a token dated after its cutoff', async () => {
    const username = uniqueName('racer');
    const id = await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);
    const logoutAll = new pg.Client({ connectionString: system.databaseUrl });
    const observer = new pg.Client({ connectionString: system.databaseUrl });
    await Promise.all([logoutAll.connect(), observer.connect()]);
    try {
      // The logout-all's statements, held open before COMMIT.
      await logoutAll.query('BEGIN');
      await logoutAll.query(
        `UPDATE sessions SET revoked_at = now(), revoke_reason = 'logout-all'
          WHERE user_id = $1 AND revoked_at IS NULL`,
        [id],
      );
      const { rows } = await logoutAll.query<{ cutoff: string }>(
        `UPDATE users SET tokens_revoked_before =
           GREATEST(tokens_revoked_before, floor(extract(epoch FROM clock_timestamp()))::bigint)
          WHERE id = $1 RETURNING tokens_revoked_before AS cutoff`,
        [id],
      );
      const cutoff = Number(rows[0]?.cutoff);
      const refreshed = call<TokenPair & { code?: string }>(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: tokens.refresh_token },
      });
      // The refresh is waiting on a row the logout-all holds...
      await waitFor('the refresh to wait on a lock of the logout-all', async () => {
        const waiting = await observer.query(
          `SELECT 1 FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return waiting.rows.length > 0 ? true : undefined;
      });
      // ...and the logout-all commits in a later second than its cutoff.
      await waitFor('the clock to pass the cutoff', () =>
        Promise.resolve(Math.floor(Date.now() / 1000) > cutoff ? true : undefined),
      );
      await logoutAll.query('COMMIT');
      const answer = await refreshed;
      const iat = answer.status === 200 ? decodeJwt(answer.body.access_token).iat : undefined;
      expect({
        status: answer.status,
        code: answer.body.code,
        iatAfterCutoff: iat && iat > cutoff,
      }).toEqual({ status: 401, code: 'INVALID_REFRESH_TOKEN', iatAfterCutoff: undefined });
    } finally {
      await logoutAll.query('ROLLBACK').catch(() => undefined);
      await Promise.all([logoutAll.end(), observer.end()]);
    }
  });
});
