import { describe, expect, it } from '@jest/globals';
import { call } from './support/http.js';
import { PASSWORD, register, uniqueName } from './support/users.js';
import { useSystem } from './support/use-system.js';
import { waitFor } from './support/wait-for.js';

describe.each(['embedded', 'postgres'] as const)('login lockout (%s database)', (database) => {
  const system = useSystem({
    database,
    authEnv: {
      LOGIN_LOCKOUT_THRESHOLD: '3',
      LOGIN_LOCKOUT_BASE_SECONDS: '1',
      LOGIN_LOCKOUT_MAX_SECONDS: '2',
      LOGIN_LOCKOUT_RESET_SECONDS: '60',
    },
  });

  const attempt = (username: string, password = 'wrong password') =>
    call(`${system.auth.url}/auth/login`, { json: { username, password } });

  /** Three failures, then the answer to a fourth attempt. */
  async function failThenTry(username: string, password: string) {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt(username)).status);
    expect(statuses).toEqual([401, 401, 401]);
    return attempt(username, password);
  }

  it('locks a username after repeated failures, the right password included, then lifts', async () => {
    const username = uniqueName('locked');
    await register(system.auth.url, username);
    const locked = await failThenTry(username, PASSWORD);
    expect({ status: locked.status, code: locked.body.code }).toEqual({
      status: 429,
      code: 'LOGIN_LOCKED',
    });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await attempt(username.toUpperCase(), PASSWORD)).status).toBe(429);

    const lifted = await waitFor(
      'the lock to lift',
      async () => {
        const answer = await attempt(username, PASSWORD);
        return answer.status === 429 ? undefined : answer;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(lifted.status).toBe(200);
    // The success cleared the count: one failure is an ordinary 401 again.
    expect((await attempt(username)).status).toBe(401);
  });

  it('answers a username nobody has exactly as a real one', async () => {
    const real = uniqueName('real');
    await register(system.auth.url, real);
    const ghost = uniqueName('ghost');
    const [forReal, forGhost] = [await failThenTry(real, 'x'), await failThenTry(ghost, 'x')];
    expect({ status: forGhost.status, body: forGhost.body }).toEqual({
      status: forReal.status,
      body: forReal.body,
    });
    expect(forGhost.status).toBe(429);
  });
});
