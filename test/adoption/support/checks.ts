import { expect } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import { bearer, call } from '../../support/http.js';
import { login, logout, register, uniqueName } from '../../support/users.js';
import { waitFor } from '../../support/wait-for.js';
import type { ServerCheck } from './apps.js';
import type { AppProcess } from './app-process.js';
import { checkMicroservices } from './check-microservices.js';

/** What a check gets: the running app and the auth service that issues and revokes its tokens. */
export interface CheckContext {
  readonly app: AppProcess;
  readonly authUrl: string;
}

/** One end-to-end check per context; an app lists the ones it must pass (./apps.ts). */
export const CHECKS: Record<ServerCheck, (context: CheckContext) => Promise<void>> = {
  microservices: checkMicroservices,
  http: checkHttp,
  'socket.io': checkSocketIo,
  graphql: checkGraphql,
};

/**
 * HTTP routes every server app has: `GET /me` (any token), `GET /orders`
 * (`@RequireScopes('orders:read')`, a scope users get), `GET /admin` (`@RequireScopes('admin')`).
 */
async function checkHttp({ app, authUrl }: CheckContext): Promise<void> {
  const missing = await call(`${app.url}/me`);
  expect(missing.status).toBe(401);
  expect(missing.body).toMatchObject({ code: 'TOKEN_MISSING' });
  expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer\b/);

  const username = uniqueName('adopter');
  const id = await register(authUrl, username);
  const tokens = await login(authUrl, username);
  const headers = bearer(tokens.access_token);

  const me = await call(`${app.url}/me`, { headers });
  expect(me.status).toBe(200);
  expect(me.body).toMatchObject({ sub: id });
  expect((await call(`${app.url}/orders`, { headers })).status).toBe(200);
  const admin = await call(`${app.url}/admin`, { headers });
  expect(admin.status).toBe(403);
  expect(admin.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });

  await logout(authUrl, tokens);
  const revoked = await waitFor(
    `${app.name} to refuse the logged-out token`,
    async () => {
      const answer = await call(`${app.url}/me`, { headers });
      return answer.status === 200 ? undefined : answer;
    },
    { timeoutMs: 15_000, intervalMs: 20 },
  );
  expect(revoked.status).toBe(401);
  expect(revoked.body).toMatchObject({ code: 'TOKEN_REVOKED' });
  expect(app.alive).toBe(true);
}

/**
 * A socket.io gateway with `ping` (any token, answers `pong` with the subject) and `admin:ping`
 * (`@RequireScopes('admin')`), authenticated by `RevocationSocketAuth`.
 */
async function checkSocketIo({ app, authUrl }: CheckContext): Promise<void> {
  const sockets: Socket[] = [];
  const connect = (token?: string): Socket => {
    const socket = io(app.url, {
      transports: ['websocket'],
      reconnection: false,
      ...(token ? { auth: { token } } : {}),
    });
    sockets.push(socket);
    return socket;
  };
  const next = <T>(socket: Socket, event: string, timeoutMs = 15_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${event} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.once(event, (value: T) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  try {
    const refused = next<Error & { data?: { code: string } }>(connect(), 'connect_error');
    expect((await refused).data).toMatchObject({ code: 'TOKEN_MISSING' });

    const username = uniqueName('player');
    const id = await register(authUrl, username);
    const tokens = await login(authUrl, username);
    const socket = connect(tokens.access_token);
    await next(socket, 'connect');

    const pong = next(socket, 'pong');
    socket.emit('ping', {});
    expect(await pong).toMatchObject({ sub: id });

    const exception = next(socket, 'exception');
    socket.emit('admin:ping', {});
    expect(await exception).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect(socket.connected).toBe(true);

    const revoked = next(socket, 'auth:revoked');
    const disconnected = next(socket, 'disconnect');
    await logout(authUrl, tokens);
    expect(await revoked).toMatchObject({ code: 'TOKEN_REVOKED' });
    await disconnected;

    const again = next<Error & { data?: { code: string } }>(
      connect(tokens.access_token),
      'connect_error',
    );
    expect((await again).data).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(app.alive).toBe(true);
  } finally {
    for (const socket of sockets) socket.disconnect();
  }
}

/** A GraphQL answer: refusals are resolver errors whose extensions carry the guard's code. */
interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/**
 * GraphQL with the Apollo driver at `POST /graphql`, code first: `me` (any token, a `Viewer`
 * `{sub, scopes}` whose `adminNote` field resolver needs `admin`), `orders`
 * (`@RequireScopes('orders:read')`), `admin` (`@RequireScopes('admin')`) and `catalogue`
 * (`@Public()`). A refusal answers HTTP 200 with `data` null and the code in `errors[]`.
 */
async function checkGraphql({ app, authUrl }: CheckContext): Promise<void> {
  const query = async (text: string, token?: string): Promise<GraphQLBody> => {
    const answer = await call<GraphQLBody>(`${app.url}/graphql`, {
      json: { query: text },
      headers: token ? bearer(token) : {},
    });
    expect(answer.status).toBe(200);
    return answer.body;
  };

  const missing = await query('{ me { sub } }');
  expect(missing.data).toBeNull();
  expect(missing.errors).toEqual([
    expect.objectContaining({
      path: ['me'],
      extensions: expect.objectContaining({ code: 'TOKEN_MISSING', statusCode: 401 }),
    }),
  ]);
  expect(await query('{ catalogue }')).toEqual({ data: { catalogue: ['book'] } });

  const username = uniqueName('grapher');
  const id = await register(authUrl, username);
  const tokens = await login(authUrl, username);
  const token = tokens.access_token;

  const live = await query('{ me { sub scopes } orders }', token);
  expect(live.errors).toBeUndefined();
  expect(live.data).toEqual({
    me: { sub: id, scopes: expect.arrayContaining(['orders:read']) },
    orders: [],
  });

  const admin = await query('{ admin }', token);
  expect(admin.data).toBeNull();
  expect(admin.errors).toEqual([
    expect.objectContaining({
      path: ['admin'],
      extensions: expect.objectContaining({ code: 'INSUFFICIENT_SCOPE', statusCode: 403 }),
    }),
  ]);
  // A guarded field resolver of a query the token may run: that field alone is refused.
  const field = await query('{ me { sub adminNote } }', token);
  expect(field.data).toEqual({ me: { sub: id, adminNote: null } });
  expect(field.errors).toEqual([
    expect.objectContaining({
      path: ['me', 'adminNote'],
      extensions: expect.objectContaining({ code: 'INSUFFICIENT_SCOPE', statusCode: 403 }),
    }),
  ]);

  await logout(authUrl, tokens);
  const revoked = await waitFor(
    `${app.name} to refuse the logged-out token`,
    async () => {
      const answer = await query('{ me { sub } }', token);
      return answer.errors === undefined ? undefined : answer;
    },
    { timeoutMs: 15_000, intervalMs: 20 },
  );
  expect(revoked.data).toBeNull();
  expect(revoked.errors).toEqual([
    expect.objectContaining({
      path: ['me'],
      extensions: expect.objectContaining({ code: 'TOKEN_REVOKED', statusCode: 401 }),
    }),
  ]);
  expect(app.alive).toBe(true);
}
