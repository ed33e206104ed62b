import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway, type OnGatewayInit } from '@nestjs/websockets';
import { heartbeatClaims, SET_TYP } from '@tokenfence/contract';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { io, type Socket } from 'socket.io-client';
import type { EventSink, RevocationEventSource } from '../core/event-source.js';
import { ManualClock } from '../core/manual-clock.js';
import type { StalePolicy } from '../core/stale-policy.js';
import { RevocationGuardModule } from './revocation-guard.module.js';
import { RevocationSocketAuth, type SocketServer } from './revocation-socket-auth.js';
import {
  RequireFreshness,
  RequireRecentLogin,
  RequireScopes,
} from './route-requirements.decorators.js';

// Socket.io messages obey the route rules and the stale policy as HTTP requests do (audit F7):
// a real Nest app with a socket.io gateway, a local JWKS, a test event source and a ManualClock.

const ISSUER = 'http://127.0.0.1:1';
const AUDIENCE = 'tokenfence-services';
const T0 = 1_800_000_000_000;

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

let tokenKey: SigningKey;
let eventKey: SigningKey;
let jwksServer: HttpServer;
let jwksUrl: string;

async function signingKey(kid: string, alg: 'ES256' | 'EdDSA'): Promise<SigningKey> {
  const pair = await generateKeyPair(alg);
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid, alg },
  };
}

beforeAll(async () => {
  tokenKey = await signingKey('tokens-1', 'ES256');
  eventKey = await signingKey('events-1', 'EdDSA');
  const body = JSON.stringify({ keys: [tokenKey.jwk, eventKey.jwk] });
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  await new Promise((resolve) => jwksServer.close(resolve));
});

@WebSocketGateway()
class RulesGateway implements OnGatewayInit {
  constructor(private readonly socketAuth: RevocationSocketAuth) {}

  afterInit(server: SocketServer): void {
    this.socketAuth.attach(server);
  }

  @SubscribeMessage('plain')
  plain(): string {
    return 'plain';
  }

  @SubscribeMessage('admin')
  @RequireScopes('game:admin')
  admin(): string {
    return 'admin';
  }

  @SubscribeMessage('recent')
  @RequireRecentLogin(60)
  recent(): string {
    return 'recent';
  }

  @SubscribeMessage('strict')
  @RequireFreshness({ maxStalenessMs: 5_000, stalePolicy: 'reject' })
  strict(): string {
    return 'strict';
  }
}

/** An event source the test drives by hand: it owns the sink. */
class HandSource implements RevocationEventSource {
  sink: EventSink | undefined;
  start(sink: EventSink): Promise<void> {
    this.sink = sink;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

interface Harness {
  readonly app: INestApplication;
  readonly url: string;
  readonly clock: ManualClock;
  heartbeat(): Promise<void>;
}

async function startApp(stalePolicy: StalePolicy): Promise<Harness> {
  const clock = new ManualClock(T0);
  const source = new HandSource();
  @Module({
    imports: [
      RevocationGuardModule.forRoot({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl,
        kafka: { brokers: ['127.0.0.1:1'] },
        eventSource: source,
        clock,
        maxStalenessMs: 30_000,
        stalePolicy,
      }),
    ],
    providers: [RulesGateway],
  })
  class RulesModule {}
  const app = await NestFactory.create(RulesModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const sink = source.sink;
  if (!sink) throw new Error('the event source was not started');
  const heartbeat = async () => {
    const jws = await new SignJWT(
      heartbeatClaims(
        { iss: ISSUER, iat: clock.seconds, jti: `hb-${clock.nowMs()}` },
        0,
        clock.nowMs(),
      ),
    )
      .setProtectedHeader({ alg: 'EdDSA', kid: eventKey.kid, typ: SET_TYP })
      .sign(eventKey.privateKey);
    await sink.onMessage(Buffer.from(jws), { partition: 0, offset: '0' });
  };
  sink.onPartitions([0]);
  await heartbeat();
  sink.onCaughtUp();
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), clock, heartbeat };
}

/** An access token of a player: scope `game:play`, logged in a day ago. */
function playerToken(clock: ManualClock, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(clock.seconds);
  return new SignJWT({ scope: 'game:play', sid: 'sid-1', auth_time: now - 86_400, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: tokenKey.kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('player-1')
    .setJti(`jti-${Math.random()}`)
    .setIssuedAt(now)
    .setExpirationTime(now + 900)
    .sign(tokenKey.privateKey);
}

const sockets: Socket[] = [];

async function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, auth: { token } });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Sends one message; settles with the handler's answer or the exception the server emitted. */
function send(socket: Socket, event: string): Promise<{ reply: unknown } | { refused: unknown }> {
  return new Promise((resolve) => {
    const onException = (refused: unknown) => resolve({ refused });
    socket.once('exception', onException);
    socket.emit(event, {}, (reply: unknown) => {
      socket.off('exception', onException);
      resolve({ reply });
    });
  });
}

const refusedWith = (code: string) => ({ refused: expect.objectContaining({ code }) });

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

describe('RevocationGuard on socket.io messages (F7)', () => {
  describe('under the reject policy', () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startApp('reject');
    });
    afterAll(async () => {
      await harness.app.close();
    });

    it('answers a message without route rules', async () => {
      const socket = await connect(harness.url, await playerToken(harness.clock));
      expect(await send(socket, 'plain')).toEqual({ reply: 'plain' });
    });

    it('refuses a message whose handler needs a scope the token lacks', async () => {
      const socket = await connect(harness.url, await playerToken(harness.clock));
      expect(await send(socket, 'admin')).toEqual(refusedWith('INSUFFICIENT_SCOPE'));
      const admin = await connect(
        harness.url,
        await playerToken(harness.clock, { scope: 'game:admin' }),
      );
      expect(await send(admin, 'admin')).toEqual({ reply: 'admin' });
    });

    it('refuses a message whose handler needs a recent login', async () => {
      const socket = await connect(harness.url, await playerToken(harness.clock));
      expect(await send(socket, 'recent')).toEqual(refusedWith('LOGIN_TOO_OLD'));
      const now = Math.floor(harness.clock.seconds);
      const fresh = await connect(
        harness.url,
        await playerToken(harness.clock, { auth_time: now }),
      );
      expect(await send(fresh, 'recent')).toEqual({ reply: 'recent' });
    });

    it('refuses a message beyond its handler’s @RequireFreshness', async () => {
      const socket = await connect(harness.url, await playerToken(harness.clock));
      harness.clock.advance(6_000);
      expect(await send(socket, 'strict')).toEqual(refusedWith('REVOCATION_STATE_STALE'));
      expect(await send(socket, 'plain')).toEqual({ reply: 'plain' });
      await harness.heartbeat();
      expect(await send(socket, 'strict')).toEqual({ reply: 'strict' });
    });

    it('refuses every message while the state is stale, and serves again once fresh', async () => {
      const socket = await connect(harness.url, await playerToken(harness.clock));
      harness.clock.advance(31_000);
      expect(await send(socket, 'plain')).toEqual(refusedWith('REVOCATION_STATE_STALE'));
      await harness.heartbeat();
      expect(await send(socket, 'plain')).toEqual({ reply: 'plain' });
    });
  });

  describe('under the allow policy', () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startApp('allow');
    });
    afterAll(async () => {
      await harness.app.close();
    });

    it('answers while stale, yet keeps the route rules and @RequireFreshness', async () => {
      const socket = await connect(harness.url, await playerToken(harness.clock));
      harness.clock.advance(31_000);
      expect(await send(socket, 'plain')).toEqual({ reply: 'plain' });
      expect(await send(socket, 'admin')).toEqual(refusedWith('INSUFFICIENT_SCOPE'));
      expect(await send(socket, 'strict')).toEqual(refusedWith('REVOCATION_STATE_STALE'));
    });
  });
});
