import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from './support/free-port.js';
import { call } from './support/http.js';
import { TestSystem, type RunningService } from './support/system.js';
import { PASSWORD, register, uniqueName } from './support/users.js';
import { useSystem } from './support/use-system.js';

const attempt = (authUrl: string, username: string, password = 'wrong password') =>
  call(`${authUrl}/auth/login`, { json: { username, password } });

describe('rate limits on login', () => {
  const system = useSystem({
    database: 'embedded',
    authEnv: { RATE_LIMIT_LOGIN_PER_USERNAME: '3', RATE_LIMIT_LOGIN_PER_IP: '6' },
  });

  it('a brute force on one username meets 429 with Retry-After, even with the right password after', async () => {
    const username = uniqueName('victim');
    await register(system.auth.url, username);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt(system.auth.url, username)).status);
    const limited = await attempt(system.auth.url, username, PASSWORD);
    expect(statuses).toEqual([401, 401, 401]);
    expect({ status: limited.status, code: limited.body.code }).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Case does not get around it.
    expect((await attempt(system.auth.url, username.toUpperCase())).status).toBe(429);
  });

  it('spraying many usernames from one IP meets the per-IP limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await attempt(system.auth.url, uniqueName('spray'))).status);
    }
    // Every username is new, so only the per-IP limit (6, five used above) can answer 429.
    expect(statuses[0]).toBe(401);
    expect(statuses.slice(1)).toEqual([429, 429, 429]);
  });
});

// The embedded database belongs to one process (two PGlite instances on one data directory are
// two diverging copies), so instances can share counters on PostgreSQL only.
describe('two auth-service instances on one PostgreSQL database', () => {
  const system = new TestSystem({
    database: 'postgres',
    authEnv: { RATE_LIMIT_LOGIN_PER_USERNAME: '3', RATE_LIMIT_LOGIN_PER_IP: '1000' },
  });
  let second: RunningService;

  beforeAll(async () => {
    await system.start();
    second = await system.startAuth(await freePort());
  }, 120_000);
  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it('enforce one per-username limit between them', async () => {
    const username = uniqueName('shared');
    await register(system.auth.url, username);
    const instances = [system.auth.url, second.url, system.auth.url, second.url];
    const answers = [];
    for (const url of instances) answers.push(await attempt(url, username));
    // Each instance saw two attempts only: a limit per process would still answer 401.
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    expect(answers[3]?.body.code).toBe('RATE_LIMITED');
    expect(Number(answers[3]?.headers.get('retry-after'))).toBeGreaterThan(0);
    const rightPassword = await attempt(system.auth.url, username, PASSWORD);
    expect(rightPassword.status).toBe(429);
  });
});
