import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startLocalKafka, type LocalKafka } from '../tools/kafka/local-kafka.mjs';
import { OAUTH_CLIENTS_ENV, SERVICE_CLIENT } from './support/clients.js';
import { expectAccepted, terminusHealth, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { TestSystem } from './support/system.js';
import { login, register, uniqueName } from './support/users.js';
import { waitFor } from './support/wait-for.js';

const STALE = ['REVOCATION_STATE_STALE'];

// This suite owns a broker of its own, so killing it disturbs no other suite.
describe('broker outage', () => {
  let kafka: LocalKafka;
  let system: TestSystem;

  beforeAll(async () => {
    kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => undefined });
    system = await new TestSystem({
      database: 'embedded',
      brokers: kafka.brokers,
      authEnv: { OAUTH_CLIENTS: OAUTH_CLIENTS_ENV },
    }).start();
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
    await kafka?.stop();
  });

  it('logout answers 204 while the broker is down, and the revocation arrives once it is back', async () => {
    const username = uniqueName('erin');
    await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);
    await expectAccepted(system.orders, tokens.access_token);
    await expectAccepted(system.game, tokens.access_token);

    await kafka.stop({ keepWorkDir: true, signal: 'SIGKILL' });

    const logout = await call(`${system.auth.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    });
    expect(logout.status).toBe(204);
    // Downstream still accepts it: the event has not left the outbox (no central lookup).
    await expectAccepted(system.orders, tokens.access_token);

    const restartedAt = Date.now();
    await kafka.restart();
    const brokerBackMs = Date.now() - restartedAt;

    // An outage longer than maxStalenessMs (30 s; a loaded machine restarts the broker that
    // slowly) makes the guards fail closed with 503 STALE meanwhile, as designed.
    const [orders, game] = await Promise.all([
      waitRejected(system.orders, tokens.access_token, restartedAt, 90_000, STALE),
      waitRejected(system.game, tokens.access_token, restartedAt, 90_000, STALE),
    ]);
    console.log(
      `broker restart took ${brokerBackMs} ms; revocation enforced ${orders} ms (orders) and ${game} ms (game) after the restart began`,
    );
  }, 180_000);

  it('introspect stale policy: while the broker is down, tokens are checked with the auth service', async () => {
    const introspecting = await system.startDownstream('orders', {
      REVOCATION_MAX_STALENESS_MS: '2000',
      REVOCATION_STALE_POLICY: 'introspect',
      INTROSPECTION_CLIENT_ID: SERVICE_CLIENT.id,
      INTROSPECTION_CLIENT_SECRET: SERVICE_CLIENT.secret,
    });
    await system.waitReady(introspecting);
    const username = uniqueName('outage');
    await register(system.auth.url, username);
    const kept = await login(system.auth.url, username);
    const dropped = await login(system.auth.url, username);
    await expectAccepted(introspecting, dropped.access_token);

    await kafka.stop({ keepWorkDir: true, signal: 'SIGKILL' });
    const logout = await call(`${system.auth.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(dropped.access_token),
    });
    expect(logout.status).toBe(204);

    // Once stale, the revocation that cannot travel through Kafka is learned by introspection.
    const refused = await waitFor(
      'the stale instance to learn the revocation by introspection',
      async () => {
        const answer = await call(`${introspecting.url}/me`, {
          headers: bearer(dropped.access_token),
        });
        return answer.status === 200 ? undefined : answer;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 401,
      code: 'TOKEN_REVOKED',
    });
    await expectAccepted(introspecting, kept.access_token);
    // orders-service answers with the Terminus indicator: degraded, still serving.
    expect(await terminusHealth(introspecting)).toEqual({
      status: 200,
      overall: 'degraded',
      state: 'stale',
    });

    await kafka.restart();
    await waitFor(
      'freshness to return after the broker restarts',
      async () => ((await terminusHealth(introspecting)).state === 'ready' ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await introspecting.close();
  }, 180_000);
});
