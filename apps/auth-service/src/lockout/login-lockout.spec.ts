import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EmbeddedDatabase } from '../database/embedded.database.js';
import { migrate } from '../database/migrations.js';
import { AuthError } from '../errors/auth-error.js';
import { LoginLockout } from './login-lockout.js';

let db: EmbeddedDatabase;
beforeAll(async () => {
  db = await EmbeddedDatabase.open('memory://');
  await migrate(db);
});
afterAll(() => db.close());

const policy = { threshold: 3, baseMs: 1_000, maxMs: 4_000, resetMs: 60_000 };

/** The lockout on the shared database with a clock the test moves. */
function lockoutAt(startMs: number) {
  const clock = { now: startMs };
  return { clock, lockout: new LoginLockout(db, policy, () => clock.now) };
}

/** undefined when unlocked, else the Retry-After seconds of the LOGIN_LOCKED refusal. */
async function retryAfter(lockout: LoginLockout, username: string): Promise<number | undefined> {
  try {
    await lockout.assertUnlocked(username);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    expect({ code: (err as AuthError).code, status: (err as AuthError).status }).toEqual({
      code: 'LOGIN_LOCKED',
      status: 429,
    });
    return (err as AuthError).retryAfterSeconds;
  }
}

describe('LoginLockout', () => {
  it('locks after the threshold, doubles per further failure up to the cap, and lifts', async () => {
    const { clock, lockout } = lockoutAt(1_000_000);
    for (let i = 0; i < 2; i++) await lockout.recordFailure('alice');
    expect(await retryAfter(lockout, 'alice')).toBeUndefined();
    await lockout.recordFailure('alice'); // third: 1 s
    expect(await retryAfter(lockout, 'ALICE')).toBe(1);
    clock.now += 1_000;
    expect(await retryAfter(lockout, 'alice')).toBeUndefined();
    await lockout.recordFailure('alice'); // fourth: 2 s
    expect(await retryAfter(lockout, 'alice')).toBe(2);
    clock.now += 2_000;
    await lockout.recordFailure('alice'); // fifth: 4 s
    clock.now += 4_000;
    await lockout.recordFailure('alice'); // sixth: capped at 4 s
    expect(await retryAfter(lockout, 'alice')).toBe(4);
    clock.now += 3_500;
    expect(await retryAfter(lockout, 'alice')).toBe(1);
    clock.now += 500;
    expect(await retryAfter(lockout, 'alice')).toBeUndefined();
  });

  it('a success clears the count; a quiet period forgets it', async () => {
    const { clock, lockout } = lockoutAt(2_000_000);
    for (let i = 0; i < 2; i++) await lockout.recordFailure('bob');
    await lockout.recordSuccess('Bob');
    await lockout.recordFailure('bob');
    expect(await retryAfter(lockout, 'bob')).toBeUndefined();
    await lockout.recordFailure('bob');
    clock.now += 60_000; // the reset period without a failure
    await lockout.recordFailure('bob');
    expect(await retryAfter(lockout, 'bob')).toBeUndefined();
  });

  it('counts a username nobody has exactly like a real one, and one username only', async () => {
    const { lockout } = lockoutAt(3_000_000);
    for (let i = 0; i < 3; i++) await lockout.recordFailure('nobody-has-this-name');
    expect(await retryAfter(lockout, 'nobody-has-this-name')).toBe(1);
    expect(await retryAfter(lockout, 'someone-else')).toBeUndefined();
  });

  it('is shared by every instance on the database', async () => {
    const one = lockoutAt(4_000_000);
    const other = lockoutAt(4_000_000);
    for (let i = 0; i < 3; i++) await one.lockout.recordFailure('carol');
    expect(await retryAfter(other.lockout, 'carol')).toBe(1);
  });
});
