import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { TestSystem, type RunningService } from './support/system.js';
import { login, register, uniqueName, type TokenPair } from './support/users.js';

describe('scale-out and restarts of a downstream service', () => {
  const system = new TestSystem({ database: 'embedded' });
  const instances: RunningService[] = [];

  beforeAll(async () => {
    await system.start();
    for (let i = 0; i < 2; i++) instances.push(await system.startDownstream('orders'));
    instances.unshift(system.orders);
    await Promise.all(instances.map((s) => system.waitReady(s)));
  }, 120_000);
  afterAll(async () => {
    await system.stop();
  }, 60_000);

  const logout = async (tokens: TokenPair): Promise<void> => {
    const answer = await call(`${system.auth.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    });
    expect(answer.status).toBe(204);
  };

  it('three instances of one service all reject a revoked token (broadcast, not a shared group)', async () => {
    const username = uniqueName('triple');
    await register(system.auth.url, username);
    const tokens = await login(system.auth.url, username);
    for (const instance of instances) await expectAccepted(instance, tokens.access_token);
    await logout(tokens);
    const at = Date.now();
    const latencies = await Promise.all(
      instances.map((i) => waitRejected(i, tokens.access_token, at)),
    );
    console.log(
      `3 instances of orders-service rejected the token after ${latencies.join(', ')} ms`,
    );
  });

  it('an instance restarted in the middle of a stream of revocations misses none of them', async () => {
    const username = uniqueName('stream');
    await register(system.auth.url, username);
    const sessions = await Promise.all(
      Array.from({ length: 12 }, () => login(system.auth.url, username)),
    );
    const victim = instances.pop() as RunningService;

    const streamed = (async () => {
      for (const [i, tokens] of sessions.entries()) {
        await logout(tokens);
        if (i === 5) await victim.close(); // goes down mid-stream
      }
    })();
    await streamed;
    const restarted = await system.startDownstream('orders');
    await system.waitReady(restarted);
    for (const tokens of sessions) {
      const me = await call(`${restarted.url}/me`, { headers: bearer(tokens.access_token) });
      expect({ status: me.status, code: me.body.code }).toEqual({
        status: 401,
        code: 'TOKEN_REVOKED',
      });
    }
  });
});
