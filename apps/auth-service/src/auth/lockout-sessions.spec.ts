import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FIRST_PARTY_CLIENT_ID } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import type { IssuedTokens } from '../keys/token-issuer.js';
import { ClientAuthenticator } from '../oauth/client-authenticator.js';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
import { AuthService } from './auth.service.js';

const PASSWORD = 'the owner password, long enough';

/** Frozen: the lock, once taken, holds for the whole test. */
const clock = new ManualClock(Date.now());
let app: MediumApp;
let auth: AuthService;
beforeAll(async () => {
  app = await openMediumApp(clock, {
    LOGIN_LOCKOUT_THRESHOLD: '3',
    LOGIN_LOCKOUT_BASE_SECONDS: '900',
    LOGIN_LOCKOUT_MAX_SECONDS: '900',
  });
  auth = app.module.get(AuthService);
}, 30_000);
afterAll(() => app.close());

function login(username: string, password: string): Promise<IssuedTokens> {
  const client = app.module.get(ClientAuthenticator).authenticate(undefined, {
    client_id: FIRST_PARTY_CLIENT_ID,
  });
  return auth.login(
    username,
    password,
    { userAgent: 'test', ip: '127.0.0.1' },
    { client, requestedScopes: undefined },
  );
}

const codeOf = (attempt: Promise<unknown>): Promise<string> =>
  attempt.then(
    () => 'ok',
    (err: unknown) => {
      if (err instanceof AuthError) return err.code;
      throw err;
    },
  );

describe('a locked username (F16)', () => {
  it('does not keep its user out of an existing session: a valid refresh keeps working', async () => {
    await auth.register('erin', PASSWORD);
    const session = await login('erin', PASSWORD);
    // Anyone can lock a username they know.
    for (let i = 0; i < 3; i++) await codeOf(login('erin', `guess ${i}`));
    expect(await codeOf(login('erin', PASSWORD))).toBe('LOGIN_LOCKED');

    const first = await auth.refresh(session.refresh_token, undefined);
    const second = await auth.refresh(first.refresh_token, undefined);
    expect(second.access_token).toEqual(expect.any(String));
    // The lock itself is untouched by the refreshes.
    expect(await codeOf(login('erin', PASSWORD))).toBe('LOGIN_LOCKED');
  });
});
