import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SessionPrincipal } from './session-principal.js';
import { decodeJwt } from 'jose';
import { AdminService } from '../admin/admin.service.js';
import { FIRST_PARTY_CLIENT_ID } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import { ClientAuthenticator } from '../oauth/client-authenticator.js';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
import { AuthService } from './auth.service.js';

const PASSWORD = 'a password for the cutoff tests';
/** Frozen in the middle of a second, so that "now" is one whole second throughout. */
const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000 + 500);
const nowSeconds = (): number => Math.floor(clock.nowMs() / 1000);

let app: MediumApp;
let auth: AuthService;
beforeAll(async () => {
  app = await openMediumApp(clock);
  auth = app.module.get(AuthService);
}, 30_000);
afterAll(() => app.close());

let users = 0;
async function newUser(): Promise<{ id: string; username: string }> {
  const username = `cutoff-${++users}`;
  const { id } = await auth.register(username, PASSWORD);
  return { id, username };
}

function login(username: string): Promise<{ access_token: string }> {
  const client = app.module.get(ClientAuthenticator).authenticate(undefined, {
    client_id: FIRST_PARTY_CLIENT_ID,
  });
  return auth.login(
    username,
    PASSWORD,
    { userAgent: 't', ip: '127.0.0.1' },
    {
      client,
      requestedScopes: undefined,
    },
  );
}

async function userCutoff(id: string): Promise<number> {
  const rows = await app.db.query<{ c: string }>(
    'SELECT tokens_revoked_before AS c FROM users WHERE id = $1',
    [id],
  );
  return Number(rows[0]?.c);
}

async function globalCutoff(): Promise<number> {
  const rows = await app.db.query<{ value: string }>(
    `SELECT value FROM settings WHERE name = 'global_cutoff'`,
  );
  return Number(rows[0]?.value ?? 0);
}

describe('cutoffs and the clock (frozen time, embedded database)', () => {
  it('a burst of 100 logout-all in one second leaves the cutoff at most 1 s ahead', async () => {
    const { id } = await newUser();
    await Promise.all(
      Array.from({ length: 100 }, () => auth.logoutAll({ sub: id } as SessionPrincipal)),
    );
    expect(await userCutoff(id)).toBeLessThanOrEqual(nowSeconds() + 1);
  });

  it('a cutoff already ahead of now is never lowered', async () => {
    const { id } = await newUser();
    await app.db.query('UPDATE users SET tokens_revoked_before = $2 WHERE id = $1', [
      id,
      nowSeconds() + 600,
    ]);
    await auth.logoutAll({ sub: id } as SessionPrincipal);
    expect(await userCutoff(id)).toBe(nowSeconds() + 600);
  });

  it('a token issued right after a cutoff of this second is dated at most 1 s ahead', async () => {
    const { id, username } = await newUser();
    await auth.logoutAll({ sub: id } as SessionPrincipal);
    const { iat } = decodeJwt((await login(username)).access_token);
    expect(iat).toBeGreaterThan(await userCutoff(id));
    expect(iat).toBeLessThanOrEqual(nowSeconds() + 1);
  });

  it('a legacy cutoff far ahead refuses issuance with 503 CUTOFF_IN_FUTURE and Retry-After', async () => {
    const { id, username } = await newUser();
    await app.db.query('UPDATE users SET tokens_revoked_before = $2 WHERE id = $1', [
      id,
      nowSeconds() + 300,
    ]);
    const outcome = await login(username).then(
      (tokens) => ({ issuedIatAhead: (decodeJwt(tokens.access_token).iat ?? 0) - nowSeconds() }),
      (err: unknown) =>
        err instanceof AuthError
          ? { code: err.code, status: err.status, retryAfter: err.retryAfterSeconds }
          : { err },
    );
    expect(outcome).toEqual({ code: 'CUTOFF_IN_FUTURE', status: 503, retryAfter: 300 });
  });

  it('a burst of 20 revoke-all in one second leaves the global cutoff at most 1 s ahead', async () => {
    const admin = { sub: (await newUser()).id } as SessionPrincipal;
    const service = app.module.get(AdminService);
    await Promise.all(Array.from({ length: 20 }, () => service.revokeAll(admin)));
    expect(await globalCutoff()).toBeLessThanOrEqual(nowSeconds() + 1);
  });
});
