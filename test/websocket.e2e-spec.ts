import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import { bearer, call } from './support/http.js';
import { TestSystem } from './support/system.js';
import { login, register, uniqueName } from './support/users.js';

interface Revoked {
  code: string;
  message: string;
}

function connect(url: string, options: { token?: string; header?: string } = {}): Socket {
  return io(url, {
    transports: ['websocket'],
    reconnection: false,
    ...(options.token ? { auth: { token: options.token } } : {}),
    ...(options.header ? { extraHeaders: { authorization: options.header } } : {}),
  });
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
}

function refused(socket: Socket): Promise<{ message: string; code?: string }> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected although it should be refused')));
    socket.once('connect_error', (err: Error & { data?: { code: string } }) =>
      resolve({ message: err.message, code: err.data?.code }),
    );
  });
}

describe('game-service WebSockets', () => {
  const system = new TestSystem({ database: 'embedded' });
  const sockets: Socket[] = [];
  const track = (socket: Socket): Socket => {
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    await system.start();
  }, 120_000);
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await system.stop();
  }, 60_000);

  it('authenticates the handshake (auth.token or Authorization header) and answers messages', async () => {
    const username = uniqueName('player');
    const id = await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);

    for (const how of [
      { token: tokens.access_token },
      { header: `Bearer ${tokens.access_token}` },
    ]) {
      const socket = track(connect(system.game.url, how));
      await connected(socket);
      const reply = new Promise((resolve) => socket.once('game:pong', resolve));
      socket.emit('game:ping', {});
      expect(await reply).toMatchObject({ sub: id });
    }
  });

  it('refuses a handshake without a valid token, with the reason', async () => {
    expect(await refused(track(connect(system.game.url)))).toMatchObject({ code: 'TOKEN_MISSING' });
    expect(await refused(track(connect(system.game.url, { token: 'garbage' })))).toMatchObject({
      code: 'TOKEN_MALFORMED',
    });
  });

  it('disconnects a live socket with TOKEN_REVOKED when its session is logged out', async () => {
    const username = uniqueName('player');
    await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);
    const other = await login(system.auth.url, username);
    const socket = track(connect(system.game.url, { token: tokens.access_token }));
    await connected(socket);
    const bystander = track(connect(system.game.url, { token: other.access_token }));
    await connected(bystander);
    const revoked = new Promise<Revoked>((resolve) => socket.once('auth:revoked', resolve));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));

    const logout = await call(`${system.auth.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    });
    expect(logout.status).toBe(204);
    const at = Date.now();

    expect(await revoked).toMatchObject({ code: 'TOKEN_REVOKED' });
    expect(await disconnected).toBe('io server disconnect');
    console.log(`logout-to-socket-disconnect latency: ${Date.now() - at} ms`);
    expect(bystander.connected).toBe(true);

    expect(
      await refused(track(connect(system.game.url, { token: tokens.access_token }))),
    ).toMatchObject({
      code: 'TOKEN_REVOKED',
    });
    expect(bystander.connected).toBe(true);
  });
});
