import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FIRST_PARTY_CLIENT_ID } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import { ClientAuthenticator } from '../oauth/client-authenticator.js';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
import { AuthService } from './auth.service.js';

const PASSWORD = 'the real owner password';
const ATTACKER_PASSWORD = 'the attacker own password';
const THRESHOLD = 5;

/** Frozen: a lock, once taken, holds for the whole test. */
const clock = new ManualClock(Date.now());
let app: MediumApp;
let auth: AuthService;
beforeAll(async () => {
  app = await openMediumApp(clock, { LOGIN_LOCKOUT_THRESHOLD: String(THRESHOLD) });
  auth = app.module.get(AuthService);
}, 30_000);
afterAll(() => app.close());

/** 'ok', or the code of the AuthError it was refused with. */
const outcome = (attempt: Promise<unknown>): Promise<string> =>
  attempt.then(
    () => 'ok',
    (err: unknown) => {
      if (err instanceof AuthError) return err.code;
      throw err;
    },
  );

function login(username: string, password: string): Promise<string> {
  const client = app.module.get(ClientAuthenticator).authenticate(undefined, {
    client_id: FIRST_PARTY_CLIENT_ID,
  });
  return outcome(
    auth.login(
      username,
      password,
      { userAgent: 'test', ip: '127.0.0.1' },
      { client, requestedScopes: undefined },
    ),
  );
}

describe('usernames that differ only in case (F6)', () => {
  it('registering a case variant of a taken username is 409 USERNAME_TAKEN', async () => {
    expect(await outcome(auth.register('carol', PASSWORD))).toBe('ok');
    expect({
      Carol: await outcome(auth.register('Carol', ATTACKER_PASSWORD)),
      CAROL: await outcome(auth.register('CAROL', ATTACKER_PASSWORD)),
    }).toEqual({ Carol: 'USERNAME_TAKEN', CAROL: 'USERNAME_TAKEN' });
    expect(await login('CaRoL', PASSWORD)).toBe('ok');
  });

  it("the audit's bypass: guesses on alice between logins as ALICE still lock alice (LOGIN_LOCKED)", async () => {
    expect(await outcome(auth.register('alice', PASSWORD))).toBe('ok');
    // The attacker's own account, if the service lets them have it.
    await outcome(auth.register('ALICE', ATTACKER_PASSWORD));
    const answers: string[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < THRESHOLD - 1; i++) {
        answers.push(await login('alice', `guess ${round}.${i}`));
      }
      answers.push(await login('ALICE', ATTACKER_PASSWORD));
    }
    // The fifth failure locks the username; the clock is frozen, so it stays locked.
    expect(answers).toEqual([
      ...Array<string>(THRESHOLD).fill('INVALID_CREDENTIALS'),
      ...Array<string>(answers.length - THRESHOLD).fill('LOGIN_LOCKED'),
    ]);
    expect(await login('alice', PASSWORD)).toBe('LOGIN_LOCKED');
  });
});
