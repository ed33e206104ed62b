import { beforeAll, describe, expect, it } from '@jest/globals';
import { call } from './support/http.js';
import { basicAuth, OAUTH_CLIENTS_ENV, SERVICE_CLIENT } from './support/clients.js';
import { postFormFrom, postFrom, type AddressedAnswer } from './support/from-address.js';
import { loggedIn, login, PASSWORD, register, uniqueName } from './support/users.js';
import { freePort } from './support/free-port.js';
import type { RunningService } from './support/system.js';
import { useScaledAuth, useSystem } from './support/use-system.js';

const PER_USERNAME = 3;
const PER_IP = 6;
const GUESSES = 20;

/** What a loop of login attempts met: how many reached the password check, how many were cut off. */
interface Outcome {
  readonly tried: number;
  /** 401 INVALID_CREDENTIALS: only the password check answers that. */
  readonly checked: number;
  readonly limited: AddressedAnswer[];
  readonly other: AddressedAnswer[];
}

function tally(answers: AddressedAnswer[]): Outcome {
  return {
    tried: answers.length,
    checked: answers.filter((a) => a.status === 401 && a.body.code === 'INVALID_CREDENTIALS')
      .length,
    limited: answers.filter((a) => a.status === 429),
    other: answers.filter((a) => a.status !== 429 && a.status !== 401),
  };
}

/** A 429 that says how long to wait, within the one-minute window. */
const expectCutOff = (answer: AddressedAnswer): void => {
  expect({ status: answer.status, code: answer.body.code }).toEqual({
    status: 429,
    code: 'RATE_LIMITED',
  });
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(60);
};

describe('rate limits on login', () => {
  const system = useSystem({
    database: 'embedded',
    authEnv: {
      RATE_LIMIT_LOGIN_PER_USERNAME: String(PER_USERNAME),
      RATE_LIMIT_LOGIN_PER_IP: String(PER_IP),
    },
  });

  // Each test plays its own client IP, so neither spends the other's per-IP budget.
  const attempt = (ip: string, username: string, password = 'wrong password') =>
    postFrom(ip, `${system.auth.url}/auth/login`, { username, password });

  it('a password-guessing loop on one username is cut off with 429 and Retry-After; the right password too', async () => {
    const username = uniqueName('victim');
    await register(system.auth.url, username);
    const answers: AddressedAnswer[] = [];
    for (let i = 0; i < GUESSES; i++) {
      answers.push(await attempt('127.0.0.2', username, `guess ${i}`));
    }
    const outcome = tally(answers);
    const rightPassword = await attempt('127.0.0.2', username, PASSWORD);
    console.log(
      `brute force on one username: ${outcome.tried} attempts tried, ${outcome.checked} reached password checking, ${outcome.limited.length} cut off with 429; the right password after: ${rightPassword.status}`,
    );

    expect(answers.slice(0, PER_USERNAME).map((a) => a.status)).toEqual(
      Array(PER_USERNAME).fill(401),
    );
    expect({
      checked: outcome.checked,
      limited: outcome.limited.length,
      other: outcome.other,
    }).toEqual({ checked: PER_USERNAME, limited: GUESSES - PER_USERNAME, other: [] });
    outcome.limited.forEach(expectCutOff);
    expectCutOff(rightPassword);
    // Case does not get around it.
    expectCutOff(await attempt('127.0.0.2', username.toUpperCase()));
  });

  it('spraying many usernames from one IP meets the per-IP limit; a right password from it too', async () => {
    const victims = [uniqueName('sprayed'), uniqueName('sprayed')];
    for (const name of victims) await register(system.auth.url, name);
    const answers: AddressedAnswer[] = [];
    const usernames = new Set<string>();
    for (let i = 0; i < GUESSES; i++) {
      // Never more than two tries a username: only the per-IP limit can cut these off.
      const username =
        i < 2 * victims.length ? (victims[i % victims.length] ?? '') : uniqueName('spray');
      usernames.add(username);
      answers.push(await attempt('127.0.0.3', username));
    }
    const outcome = tally(answers);
    const untouched = uniqueName('bystander');
    await register(system.auth.url, untouched);
    const rightPassword = await attempt('127.0.0.3', untouched, PASSWORD);
    console.log(
      `spray from one IP across ${usernames.size} usernames: ${outcome.tried} attempts tried, ${outcome.checked} reached password checking, ${outcome.limited.length} cut off with 429; a right password from that IP after: ${rightPassword.status}`,
    );

    expect({
      checked: outcome.checked,
      limited: outcome.limited.length,
      other: outcome.other,
    }).toEqual({ checked: PER_IP, limited: GUESSES - PER_IP, other: [] });
    expect(answers.slice(PER_IP).every((a) => a.status === 429)).toBe(true);
    outcome.limited.forEach(expectCutOff);
    expectCutOff(rightPassword);
    // The limit is the IP's: the same right password from another client IP logs in.
    expect((await attempt('127.0.0.4', untouched, PASSWORD)).status).toBe(200);
  });
});

const attemptAt = (authUrl: string, username: string, password = 'wrong password') =>
  call(`${authUrl}/auth/login`, { json: { username, password } });

// The embedded database belongs to one process (two PGlite instances on one data directory are
// two diverging copies), so instances can share counters on PostgreSQL only.
describe('two auth-service instances on one PostgreSQL database', () => {
  const { system, second } = useScaledAuth({
    database: 'postgres',
    authEnv: { RATE_LIMIT_LOGIN_PER_USERNAME: '3', RATE_LIMIT_LOGIN_PER_IP: '1000' },
  });

  it('enforce one per-username limit between them', async () => {
    const username = uniqueName('shared');
    await register(system.auth.url, username);
    const instances = [system.auth.url, second().url, system.auth.url, second().url];
    const answers = [];
    for (const url of instances) answers.push(await attemptAt(url, username));
    // Each instance saw two attempts only: a limit per process would still answer 401.
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    expect(answers[3]?.body.code).toBe('RATE_LIMITED');
    expect(Number(answers[3]?.headers.get('retry-after'))).toBeGreaterThan(0);
    const rightPassword = await attemptAt(system.auth.url, username, PASSWORD);
    expect(rightPassword.status).toBe(429);
  });
});

// Registration with an empty body: the limit is checked first, then the body is refused (400), so
// each attempt is cheap and only the per-IP bucket counts it.
describe('the client address behind a proxy (F16)', () => {
  const system = useSystem({ database: 'postgres', authEnv: { RATE_LIMIT_REGISTER_PER_IP: '2' } });
  /** A second instance on the same database, behind a proxy on the loopback interface. */
  let behindProxy: RunningService;
  beforeAll(async () => {
    behindProxy = await system.startAuth(await freePort(), { TRUST_PROXY: 'loopback' });
  }, 60_000);

  const statusesOf = async (
    url: string,
    from: string,
    forwardedFor: readonly string[],
  ): Promise<(number | string)[]> => {
    const statuses: (number | string)[] = [];
    for (const xff of forwardedFor) {
      const answer = await postFrom(from, `${url}/auth/register`, {}, { 'x-forwarded-for': xff });
      statuses.push(answer.status === 429 ? String(answer.body.code) : answer.status);
    }
    return statuses;
  };

  it('without TRUST_PROXY, a forged X-Forwarded-For does not change the bucket', async () => {
    expect(
      await statusesOf(system.auth.url, '127.0.0.21', [
        '198.51.100.1',
        '198.51.100.2',
        '198.51.100.3',
      ]),
    ).toEqual([400, 400, 'RATE_LIMITED']);
  });

  it('with TRUST_PROXY=loopback, the address the proxy forwarded is the bucket', async () => {
    expect(
      await statusesOf(behindProxy.url, '127.0.0.22', [
        '198.51.100.10',
        '198.51.100.10',
        '198.51.100.10',
        // Another client behind the same proxy has a bucket of its own.
        '198.51.100.11',
        // What the client wrote before the proxy's entry does not count.
        '203.0.113.99, 198.51.100.10',
      ]),
    ).toEqual([400, 400, 'RATE_LIMITED', 400, 'RATE_LIMITED']);
  });

  it('with TRUST_PROXY, IPv6 clients share a bucket per /64, IPv4-mapped ones their IPv4 one', async () => {
    expect(
      await statusesOf(behindProxy.url, '127.0.0.23', [
        '2001:db8:a:b::1',
        '2001:db8:a:b::2',
        '2001:db8:a:b:1:2:3:4',
        '2001:db8:a:c::1',
      ]),
    ).toEqual([400, 400, 'RATE_LIMITED', 400]);
    expect(
      await statusesOf(behindProxy.url, '127.0.0.23', [
        '::ffff:198.51.100.30',
        '198.51.100.30',
        '::ffff:c633:641e',
      ]),
    ).toEqual([400, 400, 'RATE_LIMITED']);
  });
});

describe('rate limits on the OAuth endpoints (F17)', () => {
  const LIMIT = 3;
  const system = useSystem({
    database: 'embedded',
    authEnv: {
      OAUTH_CLIENTS: OAUTH_CLIENTS_ENV,
      RATE_LIMIT_REVOKE_PER_IP: String(LIMIT),
      RATE_LIMIT_INTROSPECT_PER_IP: String(LIMIT),
    },
  });
  const service = basicAuth(SERVICE_CLIENT.id, SERVICE_CLIENT.secret);
  const wrongSecret = basicAuth(SERVICE_CLIENT.id, 'a guessed secret');

  const revokeFrom = (ip: string) =>
    postFormFrom(ip, `${system.auth.url}/oauth/revoke`, {
      token: 'not-a-token',
      client_id: 'tokenfence-first-party',
    });
  const introspectFrom = (ip: string, headers: Record<string, string> = service) =>
    postFormFrom(ip, `${system.auth.url}/oauth/introspect`, { token: 'not-a-token' }, headers);

  it('/oauth/revoke answers 429 RATE_LIMITED with Retry-After past RATE_LIMIT_REVOKE_PER_IP', async () => {
    const answers: AddressedAnswer[] = [];
    for (let i = 0; i <= LIMIT; i++) answers.push(await revokeFrom('127.0.0.31'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expectCutOff(answers[LIMIT]);
    expect((await revokeFrom('127.0.0.32')).status).toBe(200);
  });

  it('/oauth/introspect answers 429 RATE_LIMITED with Retry-After past RATE_LIMIT_INTROSPECT_PER_IP', async () => {
    const answers: AddressedAnswer[] = [];
    for (let i = 0; i <= LIMIT; i++) answers.push(await introspectFrom('127.0.0.33'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expectCutOff(answers[LIMIT]);
    expect((await introspectFrom('127.0.0.34')).status).toBe(200);
  });

  it('guessing a client secret on /oauth/introspect is cut off too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++)
      statuses.push((await introspectFrom('127.0.0.35', wrongSecret)).status);
    const rightSecret = await introspectFrom('127.0.0.35');
    expect(statuses).toEqual([401, 401, 401]);
    expectCutOff(rightSecret);
  });
});

describe('per-user limits on refresh and password change', () => {
  const PER_USER = 2;
  const system = useSystem({
    database: 'embedded',
    authEnv: {
      RATE_LIMIT_REFRESH_PER_USERNAME: String(PER_USER),
      RATE_LIMIT_PASSWORD_PER_USERNAME: String(PER_USER),
    },
  });

  const refreshFrom = (ip: string, refreshToken: string) =>
    postFrom(ip, `${system.auth.url}/auth/refresh`, { refresh_token: refreshToken });
  const changePasswordFrom = (ip: string, accessToken: string, current: string) =>
    postFrom(
      ip,
      `${system.auth.url}/auth/password`,
      { current_password: current, new_password: 'a new password for the test' },
      { authorization: `Bearer ${accessToken}` },
    );

  it('refreshes past RATE_LIMIT_REFRESH_PER_USERNAME are 429 RATE_LIMITED, whichever session and IP', async () => {
    const username = uniqueName('refresher');
    await register(system.auth.url, username);
    const [one, two] = [
      await login(system.auth.url, username),
      await login(system.auth.url, username),
    ];
    const first = await refreshFrom('127.0.0.41', one.refresh_token);
    const second = await refreshFrom('127.0.0.41', String(first.body.refresh_token));
    expect([first.status, second.status]).toEqual([200, 200]);
    // The user's other session, from another address: the limit is the user's.
    expectCutOff(await refreshFrom('127.0.0.42', two.refresh_token));

    // A token nobody has gets its usual answer from the same address; another user is untouched.
    const unknown = await refreshFrom('127.0.0.41', 'rt_nobody-has-this-token');
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({
      status: 401,
      code: 'INVALID_REFRESH_TOKEN',
    });
    const bystander = await loggedIn(system.auth.url, 'bystander');
    expect((await refreshFrom('127.0.0.41', bystander.refresh_token)).status).toBe(200);
  });

  it('password changes past RATE_LIMIT_PASSWORD_PER_USERNAME are 429 RATE_LIMITED, the right password too', async () => {
    const caller = await loggedIn(system.auth.url, 'changer');
    const guesses = [];
    for (let i = 0; i < PER_USER; i++) {
      guesses.push(await changePasswordFrom('127.0.0.43', caller.access_token, `guess ${i}`));
    }
    expect(guesses.map((a) => [a.status, a.body.code])).toEqual(
      Array(PER_USER).fill([401, 'INVALID_CREDENTIALS']),
    );
    // From another address, and with the right current password: still the caller's limit.
    expectCutOff(await changePasswordFrom('127.0.0.44', caller.access_token, 'guess again'));
    expectCutOff(await changePasswordFrom('127.0.0.44', caller.access_token, PASSWORD));

    const bystander = await loggedIn(system.auth.url, 'bystander');
    const answer = await changePasswordFrom('127.0.0.43', bystander.access_token, 'a guess');
    expect([answer.status, answer.body.code]).toEqual([401, 'INVALID_CREDENTIALS']);
  });
});
