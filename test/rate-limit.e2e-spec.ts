import { describe, expect, it } from '@jest/globals';
import { call } from './support/http.js';
import { PASSWORD, register, uniqueName } from './support/users.js';
import { useSystem } from './support/use-system.js';

describe('rate limits on login', () => {
  const system = useSystem({
    database: 'embedded',
    authEnv: { RATE_LIMIT_LOGIN_PER_USERNAME: '3', RATE_LIMIT_LOGIN_PER_IP: '6' },
  });

  const attempt = (username: string, password = 'wrong password') =>
    call(`${system.auth.url}/auth/login`, { json: { username, password } });

  it('a brute force on one username meets 429 with Retry-After, even with the right password after', async () => {
    const username = uniqueName('victim');
    await register(system.auth.url, username);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt(username)).status);
    const limited = await attempt(username, PASSWORD);
    expect(statuses).toEqual([401, 401, 401]);
    expect({ status: limited.status, code: limited.body.code }).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Case does not get around it.
    expect((await attempt(username.toUpperCase())).status).toBe(429);
  });

  it('spraying many usernames from one IP meets the per-IP limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt(uniqueName('spray'))).status);
    // Every username is new, so only the per-IP limit (6, five used above) can answer 429.
    expect(statuses[0]).toBe(401);
    expect(statuses.slice(1)).toEqual([429, 429, 429]);
  });
});
