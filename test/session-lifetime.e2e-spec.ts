import { describe, expect, it } from '@jest/globals';
import { call } from './support/http.js';
import { login, register, uniqueName, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';
import { useSystem } from './support/use-system.js';

describe('sliding sessions with an absolute limit', () => {
  const system = useSystem({
    database: 'embedded',
    authEnv: { SESSION_MAX_AGE_SECONDS: '3' },
  });

  it('refreshes keep working until the session reaches its maximum age, then refresh is refused', async () => {
    const username = uniqueName('slider');
    await register(system.auth.url, username);
    let tokens = await login(system.auth.url, username);
    let refreshes = 0;

    const refused = await waitFor(
      'the session to reach its absolute limit',
      async () => {
        const answer = await call<TokenPair & { code?: string }>(
          `${system.auth.url}/auth/refresh`,
          {
            json: { refresh_token: tokens.refresh_token },
          },
        );
        if (answer.status === 200) {
          tokens = answer.body;
          refreshes++;
          return undefined;
        }
        return answer;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 401,
      code: 'INVALID_REFRESH_TOKEN',
    });
    // It slid: several refreshes succeeded before the limit ended the session.
    expect(refreshes).toBeGreaterThan(1);
  });
});
