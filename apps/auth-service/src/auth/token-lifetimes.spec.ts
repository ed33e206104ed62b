import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SessionPrincipal } from './session-principal.js';
import { decodeJwt } from 'jose';
import { FIRST_PARTY_CLIENT_ID } from '../config/auth-config.js';
import { ClientAuthenticator } from '../oauth/client-authenticator.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
import { AuthService } from './auth.service.js';

const PASSWORD = 'a password for the lifetime tests';
const clock = new ManualClock(Date.now());
const nowSeconds = (): number => Math.floor(clock.nowMs() / 1000);

function loginAs(app: MediumApp, username: string) {
  const client = app.module.get(ClientAuthenticator).authenticate(undefined, {
    client_id: FIRST_PARTY_CLIENT_ID,
  });
  return app.module.get(AuthService).login(
    username,
    PASSWORD,
    { userAgent: 't', ip: '127.0.0.1' },
    {
      client,
      requestedScopes: undefined,
    },
  );
}

/** The `expiresAt` recorded for the user's latest revocation. */
async function lastEventExpiry(app: MediumApp, userId: string): Promise<number> {
  const rows = await app.db.query<{ expires_at: string }>(
    'SELECT expires_at FROM revocations WHERE user_id = $1 ORDER BY revoked_at DESC LIMIT 1',
    [userId],
  );
  return Number(rows[0]?.expires_at);
}

describe('access-token lifetimes (embedded database)', () => {
  describe('with a session cap shorter than the token lifetime', () => {
    let app: MediumApp;
    beforeAll(async () => {
      app = await openMediumApp(clock, {
        ACCESS_TOKEN_TTL_SECONDS: '900',
        SESSION_MAX_AGE_SECONDS: '600',
      });
    }, 30_000);
    afterAll(() => app.close());

    it('no access token outlives its session (exp <= created_at + SESSION_MAX_AGE_SECONDS)', async () => {
      await app.module.get(AuthService).register('capped', PASSWORD);
      const tokens = await loginAs(app, 'capped');
      const { exp, sid } = decodeJwt(tokens.access_token) as { exp: number; sid: string };
      const rows = await app.db.query<{ cap: string }>(
        `SELECT extract(epoch FROM created_at + make_interval(secs => 600)) AS cap
           FROM sessions WHERE id = $1`,
        [sid],
      );
      expect(exp).toBeLessThanOrEqual(Number(rows[0]?.cap));
      const refreshed = await app.module.get(AuthService).refresh(tokens.refresh_token, undefined);
      expect(decodeJwt(refreshed.access_token).exp).toBeLessThanOrEqual(Number(rows[0]?.cap));
    });

    it("a session event covers the latest iat the user's tokens can carry", async () => {
      const { id } = await app.module.get(AuthService).register('ahead', PASSWORD);
      const tokens = await loginAs(app, 'ahead');
      // A cutoff written further ahead before cutoffs were capped: its tokens are dated past it.
      await app.db.query('UPDATE users SET tokens_revoked_before = $2 WHERE id = $1', [
        id,
        nowSeconds() + 300,
      ]);
      const principal = { sub: id, sid: decodeJwt(tokens.access_token).sid } as SessionPrincipal;
      await app.module.get(SessionsService).logout(principal);
      expect(await lastEventExpiry(app, id)).toBeGreaterThanOrEqual(nowSeconds() + 301 + 900);
    });
  });

  describe('across a restart that lowers ACCESS_TOKEN_TTL_SECONDS', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'tokenfence-ttl-'));
    });
    afterAll(() => rm(dataDir, { recursive: true, force: true }));

    it('events still cover tokens issued under the old, longer lifetime', async () => {
      const before = await openMediumApp(clock, { ACCESS_TOKEN_TTL_SECONDS: '900' }, dataDir);
      const { id } = await before.module.get(AuthService).register('lowered', PASSWORD);
      const old = decodeJwt((await loginAs(before, 'lowered')).access_token);
      await before.close();

      const after = await openMediumApp(clock, { ACCESS_TOKEN_TTL_SECONDS: '60' }, dataDir);
      try {
        await after.module.get(AuthService).logoutAll({ sub: id } as SessionPrincipal);
        expect(await lastEventExpiry(after, id)).toBeGreaterThanOrEqual(old.exp ?? Infinity);
      } finally {
        await after.close();
      }
    });
  });
});
