import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import type { RevocationEventSource } from '../core/event-source.js';
import { createTestIssuer, ManualClock } from '../testing.js';
import { RevocationGuardModule } from './revocation-guard.module.js';
import { RevocationReadiness } from './revocation-readiness.js';

// The readiness report tells how old the JWKS copy is and why refreshing it fails, without
// failing readiness by itself: the stale policy alone decides what is served (audit F8).

// Not InMemoryEventSource: its heartbeats would make the feed fresh, and the report "ready".
/** Caught up at once, never a heartbeat: stale, which the `allow` policy serves. */
const caughtUpSource: RevocationEventSource = {
  start: (sink) => {
    sink.onPartitions([0]);
    sink.onCaughtUp();
    return Promise.resolve();
  },
  stop: () => Promise.resolve(),
};

/** Polls (each turn of the event loop) until `done` or 2 s have passed; the caller asserts. */
async function settle(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!done() && Date.now() < deadline) await new Promise((r) => setImmediate(r));
}

describe('RevocationReadiness', () => {
  const clock = new ManualClock(1_800_000_000_000);
  const jwks = { down: false, requests: 0 };
  let server: HttpServer;
  let app: INestApplicationContext;
  let bearer: string;

  beforeAll(async () => {
    const issuer = await createTestIssuer({ clock, tokenLifetimeSeconds: 3_600 });
    server = createServer((_req, res) => {
      jwks.requests++;
      if (jwks.down) res.writeHead(503).end();
      else
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    @Module({
      imports: [
        RevocationGuardModule.forRoot({
          issuer: issuer.issuer,
          audience: issuer.audience,
          jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
          kafka: { brokers: ['127.0.0.1:1'] },
          eventSource: caughtUpSource,
          clock,
          stalePolicy: 'allow',
          verifiedTokenCacheMaxEntries: 0, // every verification asks the key source
        }),
      ],
    })
    class ReadinessModule {}
    app = await NestFactory.createApplicationContext(ReadinessModule, { logger: false });
    await app.init();
    bearer = `Bearer ${await issuer.token()}`;
  });

  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('F8: reports a stale JWKS and its last error, and stays as ready as the feed is', async () => {
    const readiness = app.get(RevocationReadiness);
    const authenticator = app.get(AccessTokenAuthenticator);
    await authenticator.authenticate(bearer);
    expect(readiness.state()).toMatchObject({
      status: 'degraded',
      signingKeys: { ageMs: 0, stale: false, failures: 0, lastError: null },
    });

    jwks.down = true;
    clock.advance(600_000);
    await authenticator.authenticate(bearer); // served from the last good keys
    await settle(() => jwks.requests === 2 && JSON.stringify(readiness.state()).includes('503'));
    const outage = {
      status: 'degraded',
      signingKeys: {
        ageMs: 600_000,
        stale: true,
        failures: 1,
        lastError: 'the JWKS endpoint answered 503',
      },
    };
    expect(readiness.state()).toMatchObject(outage);
    expect(readiness.check()).toMatchObject(outage);

    jwks.down = false;
    clock.advance(10_000); // past the first backoff, whatever its jitter
    await authenticator.authenticate(bearer);
    await settle(() => jwks.requests === 3 && !JSON.stringify(readiness.state()).includes('503'));
    expect(readiness.state()).toMatchObject({
      status: 'degraded',
      signingKeys: { ageMs: 0, stale: false, failures: 0, lastError: null },
    });
  });
});
