import { describe, expect, it } from '@jest/globals';
import * as oauth from 'oauth4webapi';
import pg from 'pg';
import { form, FORM } from './support/clients.js';
import { call } from './support/http.js';
import { signInThroughLoginPage } from './support/login-page.js';
import { useSystem } from './support/use-system.js';
import { PASSWORD, register, uniqueName } from './support/users.js';

const APP = { id: 'race-app', redirectUri: 'https://race.example.test/callback' };

/**
 * A sign-out racing a code exchange, on PostgreSQL (the embedded database runs one transaction
 * at a time): the sign-out's transaction is held open by the test, exactly where a slow one
 * would be, while the exchange runs.
 */
describe('a sign-out racing a code exchange (PostgreSQL)', () => {
  const system = useSystem({
    database: 'postgres',
    authEnv: {
      OAUTH_CLIENTS: JSON.stringify([
        { client_id: APP.id, allowed_scopes: ['profile'], redirect_uris: [APP.redirectUri] },
      ]),
    },
  });

  it('an exchange waits for a sign-out in progress and then issues nothing', async () => {
    const username = uniqueName('race');
    const userId = await register(system.auth.url, username);
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(`${system.auth.url}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: APP.id,
      redirect_uri: APP.redirectUri,
      state: 'race',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const back = await signInThroughLoginPage(url, { username, password: PASSWORD });
    const code = back?.searchParams.get('code');
    expect(code).toEqual(expect.any(String));

    // A sign-out of that browser, begun and not yet committed: it holds the browser session.
    const signOut = new pg.Client({ connectionString: system.databaseUrl });
    await signOut.connect();
    try {
      await signOut.query('BEGIN');
      const ended = await signOut.query(
        'UPDATE browser_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
        [userId],
      );
      expect(ended.rowCount).toBe(1);

      const exchange = call<{ error?: string; access_token?: string }>(
        `${system.auth.url}/oauth/token`,
        {
          method: 'POST',
          headers: FORM,
          body: form({
            grant_type: 'authorization_code',
            code: String(code),
            redirect_uri: APP.redirectUri,
            code_verifier: verifier,
            client_id: APP.id,
          }),
        },
      );
      // Without waiting for the sign-out, the exchange would answer on its own within this.
      const early = await Promise.race([
        exchange.then((answer) => answer.status),
        new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 1_000)),
      ]);
      await signOut.query('COMMIT');
      const answer = await exchange;
      expect({ early, status: answer.status, error: answer.body.error }).toEqual({
        early: 'waiting',
        status: 400,
        error: 'invalid_grant',
      });
      expect(answer.body.access_token).toBeUndefined();
    } finally {
      await signOut.end();
    }
  });
});
