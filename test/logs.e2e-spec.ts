import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitRejected } from './support/downstream.js';
import { freePort } from './support/free-port.js';
import { bearer, call } from './support/http.js';
import { ServiceProcess } from './support/processes.js';
import { GENEROUS_RATE_LIMITS } from './support/system.js';
import { login, PASSWORD, register, uniqueName, type TokenPair } from './support/users.js';

/** What the log lines of a whole login, refresh and logout flow may never contain. */
function secretsOf(tokens: TokenPair): string[] {
  const [header, payload, signature] = tokens.access_token.split('.');
  // The parts of a JWT are secret enough on their own: the signature makes it usable.
  return [tokens.access_token, tokens.refresh_token, `${payload}.${signature}`, signature, header]
    .filter((s): s is string => typeof s === 'string' && s.length >= 16)
    .concat(PASSWORD);
}

describe('service logs (auth and orders as processes, LOG_LEVEL=verbose)', () => {
  const topic = `e2e.revocations.${randomBytes(5).toString('hex')}`;
  let auth: ServiceProcess;
  let orders: ServiceProcess;
  let dataDir: string;

  beforeAll(async () => {
    const brokers = process.env.KAFKA_BROKERS;
    if (!brokers) throw new Error('KAFKA_BROKERS is not set: the e2e global setup starts a broker');
    dataDir = await mkdtemp(join(tmpdir(), 'tokenfence-logs-'));
    const authPort = await freePort();
    auth = new ServiceProcess(
      'auth',
      authPort,
      {
        ...GENEROUS_RATE_LIMITS,
        AUTH_ISSUER: `http://127.0.0.1:${authPort}`,
        KAFKA_BROKERS: brokers,
        REVOCATION_TOPIC: topic,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'verbose',
      },
      { keepStdout: true },
    );
    await auth.start();
    orders = new ServiceProcess(
      'orders',
      await freePort(),
      {
        AUTH_ISSUER: auth.url,
        KAFKA_BROKERS: brokers,
        REVOCATION_TOPIC: topic,
        LOG_LEVEL: 'verbose',
      },
      { keepStdout: true },
    );
    await orders.start();
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([orders?.stop(), auth?.stop()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('writes JSON lines with request ids, no colour codes, and never a token', async () => {
    const username = uniqueName('logs');
    await register(auth.url, username);
    const first = await login(auth.url, username);
    const refreshed = await call<TokenPair>(`${auth.url}/auth/refresh`, {
      json: { refresh_token: first.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const tokens = refreshed.body;

    // A sane caller id is kept and echoed; anything else is replaced by a fresh one.
    const requestId = `trace-${randomBytes(6).toString('hex')}`;
    const me = await call(`${orders.url}/me`, {
      headers: { ...bearer(tokens.access_token), 'x-request-id': requestId },
    });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-request-id')).toBe(requestId);
    const insane = await call(`${orders.url}/me`, {
      headers: { ...bearer(tokens.access_token), 'x-request-id': 'a b"\u00e9' },
    });
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const loggedOut = await call(`${auth.url}/auth/logout`, {
      method: 'POST',
      headers: { ...bearer(tokens.access_token), 'x-request-id': `${requestId}-logout` },
    });
    expect(loggedOut.status).toBe(204);
    await waitRejected({ url: orders.url, close: () => Promise.resolve() }, tokens.access_token, 0);
    // A token in a query string must not reach the access line either.
    await call(`${orders.url}/me?access_token=${tokens.access_token}`);

    await Promise.all([orders.stop(), auth.stop()]);
    const written = { auth: auth.allStdout(), orders: orders.allStdout() };
    for (const [service, text] of Object.entries(written)) {
      const lines = text.split('\n').filter((l) => l !== '');
      expect({ service, lines: lines.length > 10 }).toEqual({ service, lines: true });
      for (const line of lines) {
        expect({ service, line, json: isJsonObject(line) }).toEqual({ service, line, json: true });
      }
      expect({ service, ansi: text.includes('\u001b[') }).toEqual({ service, ansi: false });
      for (const secret of [...secretsOf(first), ...secretsOf(tokens)]) {
        expect({ service, leaks: text.includes(secret) }).toEqual({ service, leaks: false });
      }
    }
    const access = (text: string, id: string) =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.requestId === id && l.context === 'HTTP');
    expect(access(written.orders, requestId)).toEqual([
      expect.objectContaining({ level: 'log', message: expect.stringMatching(/^GET \/me 200 /) }),
    ]);
    expect(access(written.auth, `${requestId}-logout`)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^POST \/auth\/logout 204 /) }),
    ]);
    expect(written.auth).toMatch(/"message":"POST \/auth\/refresh 200 /);
  });
});

function isJsonObject(line: string): boolean {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && 'level' in parsed;
  } catch {
    return false;
  }
}
