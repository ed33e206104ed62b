import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { answerNow, expectAccepted, waitRejected } from './support/downstream.js';
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

  /**
   * (revocation, instance) pairs refused with TOKEN_REVOKED once the instances settle: polls until
   * all are or the deadline passes, then counts.
   */
  const enforcement = async (
    revoked: readonly TokenPair[],
    on: readonly RunningService[],
    timeoutMs = 30_000,
  ): Promise<{ expected: number; enforced: number }> => {
    let pending = revoked.flatMap((tokens) => on.map((service) => ({ tokens, service })));
    const expected = pending.length;
    const deadline = Date.now() + timeoutMs;
    while (pending.length > 0 && Date.now() < deadline) {
      const still: typeof pending = [];
      for (const pair of pending) {
        const now = await answerNow(pair.service, pair.tokens.access_token);
        if (now.status === 401 && now.code === 'TOKEN_REVOKED') continue;
        if (now.status !== 200 && now.status !== 503) {
          throw new Error(`an instance answered ${now.status} ${now.code} for a revoked token`);
        }
        still.push(pair);
      }
      pending = still;
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { expected, enforced: expected - pending.length };
  };

  it('an instance restarted while revocations flow enforces every accepted one', async () => {
    const username = uniqueName('stream');
    await register(system.auth.url, username);
    const sessions = await Promise.all(
      Array.from({ length: 84 }, () => login(system.auth.url, username)),
    );
    const live = sessions.splice(0, 4);
    const accepted: TokenPair[] = [];
    const logoutNext = async () => {
      const tokens = sessions.shift() as TokenPair;
      const answer = await call(`${system.auth.url}/auth/logout`, {
        method: 'POST',
        headers: bearer(tokens.access_token),
      });
      if (answer.status === 204) accepted.push(tokens);
    };
    /** Logs out one session every 25 ms until `step` settles (at least two). */
    const whileLoggingOut = async <T>(step: Promise<T>): Promise<T> => {
      let settled = false;
      void step.finally(() => (settled = true)).catch(() => undefined);
      let sent = 0;
      while ((!settled || sent < 2) && sessions.length > 0) {
        await logoutNext();
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      perStep.push(sent);
      return step;
    };
    const perStep: number[] = [];
    const victim = instances.pop() as RunningService;

    // Each step of the restart runs while logouts flow: going down, starting, catching up.
    await whileLoggingOut(Promise.resolve());
    await whileLoggingOut(victim.close());
    const restarted = await whileLoggingOut(system.startDownstream('orders'));
    await whileLoggingOut(system.waitReady(restarted));
    instances.push(restarted);
    while (sessions.length > 0) await logoutNext();
    expect(accepted.length).toBe(80);
    console.log(
      `[scale-out] logouts sent while before/closing/starting/catching up: ${perStep.join(', ')}`,
    );

    const count = await enforcement(accepted, instances);
    console.log(
      `[scale-out] restart while revocations flow: ${accepted.length} accepted, ` +
        `${count.enforced} of ${count.expected} (revocation, instance) pairs enforced`,
    );
    expect(count.enforced).toBe(count.expected);
    for (const instance of instances) {
      for (const tokens of live) await expectAccepted(instance, tokens.access_token);
    }
  });
});
