import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expressGuard, principalOf } from '@tokenfence/revocation-guard/express';
import {
  createRevocationGuard,
  fastifyGuard,
  fastifyGuardPlugin,
  type NodeRevocationGuard,
  type RevocationGuardOptions,
  type RouteRules,
} from '@tokenfence/revocation-guard/fastify';
import {
  createTestIssuer,
  InMemoryEventSource,
  ManualClock,
  type TestIssuer,
} from '@tokenfence/revocation-guard/testing';

const T0 = 1_800_000_000_000;
const quiet = { log: () => {}, warn: () => {}, error: () => {} };

/** The routes every adapter serves, each with its rules. */
const ROUTES: Record<string, RouteRules> = {
  '/me': {},
  '/orders': { scopes: ['orders:read'] },
  '/orders/write': { scopes: ['orders:read', 'orders:write'] },
  '/account': { maxLoginAgeSeconds: 300 },
  '/strict': { freshness: { maxStalenessMs: 1_000, stalePolicy: 'reject' } },
};

interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/** A real Express 5 server: the middleware per route; the handler echoes `req.user`. */
async function serveExpress(guard: NodeRevocationGuard, notStarted: NodeRevocationGuard) {
  const app = express();
  for (const [path, rules] of Object.entries(ROUTES)) {
    app.get(path, expressGuard(guard, rules), (req, res) => {
      res.json(principalOf(req));
    });
  }
  app.get('/not-started', expressGuard(notStarted), (_req, res) => {
    res.json({});
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A real Fastify 5 server: the plugin, then the hook per route; the handler echoes `request.user`. */
async function serveFastify(guard: NodeRevocationGuard, notStarted: NodeRevocationGuard) {
  const app = Fastify();
  await app.register(fastifyGuardPlugin);
  for (const [path, rules] of Object.entries(ROUTES)) {
    app.get(path, { onRequest: fastifyGuard(guard, rules) }, (request) => principalOf(request));
  }
  app.get('/not-started', { preHandler: fastifyGuard(notStarted) }, () => ({}));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  expect(app.hasRequestDecorator('user')).toBe(true);
  return { url, close: () => app.close() };
}

const adapters = [
  ['Express 5 middleware', serveExpress],
  ['Fastify 5 hook', serveFastify],
] as const;

describe.each(adapters)('%s', (_name, serve) => {
  let clock: ManualClock;
  let issuer: TestIssuer;
  let events: InMemoryEventSource;
  let guard: NodeRevocationGuard;
  let notStarted: NodeRevocationGuard;
  let server: Served;

  const options = (): RevocationGuardOptions => ({
    ...issuer.moduleOptions(),
    eventSource: events,
    logger: quiet,
  });
  const get = async (path: string, token?: string) => {
    const answer = await fetch(`${server.url}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    const headers = answer.headers;
    return {
      status: answer.status,
      headers,
      body: (await answer.json()) as Record<string, unknown>,
    };
  };

  beforeEach(async () => {
    clock = new ManualClock(T0);
    issuer = await createTestIssuer({ clock });
    events = new InMemoryEventSource(issuer, { heartbeatIntervalMs: 0 });
    guard = createRevocationGuard(options());
    notStarted = createRevocationGuard({
      ...options(),
      eventSource: new InMemoryEventSource(issuer),
    });
    await guard.start();
    server = await serve(guard, notStarted);
  });
  afterEach(async () => {
    await server.close();
    await guard.close();
    await notStarted.close();
  });

  it('200 with a live token; the principal is on the request', async () => {
    const token = await issuer.token({
      sub: 'alice',
      sid: 's-1',
      jti: 't-1',
      scope: 'orders:read',
    });
    const answer = await get('/orders', token);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      iss: issuer.issuer,
      sub: 'alice',
      sid: 's-1',
      jti: 't-1',
      kind: 'user',
      scopes: ['orders:read'],
    });
  });

  it('401 TOKEN_MISSING with a plain Bearer challenge without a token', async () => {
    const answer = await get('/me');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toEqual({
      statusCode: 401,
      code: 'TOKEN_MISSING',
      message: 'An Authorization: Bearer access token is required.',
      error: 'Unauthorized',
    });
  });

  it('401 TOKEN_MALFORMED for a token that is not a JWS', async () => {
    const answer = await get('/me', 'not-a-jwt');
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'TOKEN_MALFORMED' });
    expect(answer.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="TOKEN_MALFORMED"',
    );
  });

  it('401 TOKEN_REVOKED once the session is revoked', async () => {
    const token = await issuer.token();
    expect((await get('/me', token)).status).toBe(200);
    await events.revokeSession(token);
    const answer = await get('/me', token);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      statusCode: 401,
      code: 'TOKEN_REVOKED',
      message: 'The access token has been revoked (session).',
      error: 'Unauthorized',
    });
    expect(answer.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="TOKEN_REVOKED"',
    );
  });

  it('401 TOKEN_EXPIRED past exp and the tolerance', async () => {
    const token = await issuer.token();
    clock.advance(601_000 + 5_000);
    await events.heartbeat();
    const answer = await get('/me', token);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'TOKEN_EXPIRED' });
  });

  it('403 INSUFFICIENT_SCOPE naming every scope the route needs', async () => {
    const token = await issuer.token({ scope: 'orders:read' });
    const answer = await get('/orders/write', token);
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({
      statusCode: 403,
      code: 'INSUFFICIENT_SCOPE',
      message: 'This route needs the scope(s): orders:write.',
      error: 'Forbidden',
    });
    expect(answer.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="INSUFFICIENT_SCOPE", scope="orders:read orders:write"',
    );
  });

  it('403 LOGIN_TOO_OLD on a route that needs a recent login', async () => {
    const recent = await issuer.token({ auth_time: T0 / 1000 - 60 });
    const old = await issuer.token({ auth_time: T0 / 1000 - 3_600 });
    expect((await get('/account', recent)).status).toBe(200);
    const answer = await get('/account', old);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'LOGIN_TOO_OLD' });
  });

  it("503 REVOCATION_STATE_STALE with Retry-After on a route's own freshness rule", async () => {
    const token = await issuer.token();
    clock.advance(2_000); // no heartbeat since: 2 s stale
    expect((await get('/me', token)).status).toBe(200); // the default allows 30 s
    const answer = await get('/strict', token);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.headers.get('www-authenticate')).toBeNull();
    expect(answer.body).toEqual({
      statusCode: 503,
      code: 'REVOCATION_STATE_STALE',
      message: 'This service cannot prove its revocation list is current.',
      error: 'Service Unavailable',
    });
  });

  it('503 REVOCATION_STATE_NOT_READY with Retry-After before start()', async () => {
    const answer = await get('/not-started', await issuer.token());
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.body).toMatchObject({ statusCode: 503, code: 'REVOCATION_STATE_NOT_READY' });
    expect(notStarted.readiness()).toMatchObject({
      status: 'unavailable',
      code: 'REVOCATION_STATE_NOT_READY',
    });
  });
});

describe('createRevocationGuard', () => {
  it('validates the options as the module does, naming itself', async () => {
    const issuer = await createTestIssuer();
    expect(() =>
      createRevocationGuard({ issuer: issuer.issuer, audience: 'a', keys: issuer.jwks }),
    ).toThrow(
      new TypeError(
        'createRevocationGuard: set "kafka.brokers", e.g. ["127.0.0.1:9092"], or give an "eventSource"',
      ),
    );
    expect(() =>
      createRevocationGuard({
        ...issuer.moduleOptions(),
        eventSource: new InMemoryEventSource(issuer),
        verifiedTokenCacheSize: 10,
      } as RevocationGuardOptions),
    ).toThrow(
      'createRevocationGuard: "verifiedTokenCacheSize" was renamed "verifiedTokenCacheMaxEntries"',
    );
  });

  it('answers problem details when asked, with the same code', async () => {
    const issuer = await createTestIssuer();
    const guard = createRevocationGuard({
      ...issuer.moduleOptions(),
      eventSource: new InMemoryEventSource(issuer),
      problemDetails: true,
      logger: quiet,
    });
    await guard.start();
    const refusal = await guard.authorize(undefined).then(
      () => undefined,
      (err: unknown) => guard.refusal(err as never),
    );
    expect(refusal).toEqual({
      status: 401,
      headers: { 'Content-Type': 'application/problem+json', 'WWW-Authenticate': 'Bearer' },
      body: {
        type: 'https://tokenfence.dev/problems/token-missing',
        title: 'Unauthorized',
        status: 401,
        detail: 'An Authorization: Bearer access token is required.',
        code: 'TOKEN_MISSING',
      },
    });
    await guard.close();
  });

  it('start() then close() stops the event source; close() twice is fine', async () => {
    const issuer = await createTestIssuer();
    const events = new InMemoryEventSource(issuer);
    const guard = createRevocationGuard({
      ...issuer.moduleOptions(),
      eventSource: events,
      logger: quiet,
    });
    await guard.start();
    expect(guard.readiness()).toMatchObject({ status: 'ready' });
    expect(events.started).toBe(true);
    await guard.close();
    await guard.close();
    expect(events.started).toBe(false);
  });
});

describe('the Express middleware', () => {
  it('passes an unexpected failure to next(err), not a refusal', async () => {
    const failing = {
      authorize: () => Promise.reject(new Error('boom')),
    } as unknown as NodeRevocationGuard;
    const next = await new Promise<unknown>((resolve) => {
      expressGuard(failing)(
        { headers: {} },
        { statusCode: 200, setHeader: () => undefined, end: () => undefined },
        resolve,
      );
    });
    expect(next).toEqual(new Error('boom'));
  });

  it('principalOf refuses a request the guard did not see', () => {
    expect(() => principalOf({})).toThrow(TypeError);
  });
});
