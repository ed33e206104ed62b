import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startLocalKafka, type LocalKafka } from '../tools/kafka/local-kafka.mjs';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { TestSystem } from './support/system.js';
import { login, register, uniqueName } from './support/users.js';

// This suite owns a broker of its own, so killing it disturbs no other suite.
describe('broker outage', () => {
  let kafka: LocalKafka;
  let system: TestSystem;

  beforeAll(async () => {
    kafka = await startLocalKafka({ port: 0, controllerPort: 0, log: () => undefined });
    system = await new TestSystem({ database: 'embedded', brokers: kafka.brokers }).start();
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

    const [orders, game] = await Promise.all([
      waitRejected(system.orders, tokens.access_token, restartedAt, 90_000),
      waitRejected(system.game, tokens.access_token, restartedAt, 90_000),
    ]);
    console.log(
      `broker restart took ${brokerBackMs} ms; revocation enforced ${orders} ms (orders) and ${game} ms (game) after the restart began`,
    );
  }, 180_000);
});
