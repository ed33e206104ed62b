import { describe, expect, it } from '@jest/globals';
import { expectAccepted, waitRejected } from './support/downstream.js';
import { bearer, call } from './support/http.js';
import { login, register, uniqueName, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';
import { useSystem } from './support/use-system.js';

describe.each(['embedded', 'postgres'] as const)(
  'revocation end to end (%s database)',
  (database) => {
    const system = useSystem({ database });

    it('logout: both services accept the token, then reject it with TOKEN_REVOKED', async () => {
      const username = uniqueName('alice');
      const id = await register(system.auth.url, username);
      const latencies: string[] = [];
      // Several logouts in a row: the first one also pays for the producer's first send.
      for (let round = 1; round <= 5; round++) {
        const tokens = await login(system.auth.url, username);
        for (const service of [system.orders, system.game]) {
          const me = await call(`${service.url}/me`, { headers: bearer(tokens.access_token) });
          expect(me.status).toBe(200);
          expect(me.body).toMatchObject({ sub: id, scope: expect.stringContaining('profile') });
          expect(Object.keys(me.body).sort()).toEqual(['jti', 'scope', 'sid', 'sub']);
        }

        const logout = await call(`${system.auth.url}/auth/logout`, {
          method: 'POST',
          headers: bearer(tokens.access_token),
        });
        expect(logout.status).toBe(204);
        const loggedOutAt = Date.now();

        const [orders, game] = await Promise.all([
          waitRejected(system.orders, tokens.access_token, loggedOutAt),
          waitRejected(system.game, tokens.access_token, loggedOutAt),
        ]);
        latencies.push(`#${round}: orders ${orders} ms, game ${game} ms`);

        // The session's refresh token died with it.
        const refresh = await call(`${system.auth.url}/auth/refresh`, {
          json: { refresh_token: tokens.refresh_token },
        });
        expect(refresh.status).toBe(401);
        expect(refresh.body).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      }
      console.log(`[${database}] logout-to-rejection latency ${latencies.join('; ')}`);
    });

    it("logout-all: every session of the user is revoked, nobody else's, and a new login works at once", async () => {
      const alice = uniqueName('alice');
      const bob = uniqueName('bob');
      await register(system.auth.url, alice);
      await register(system.auth.url, bob);
      const laptop = await login(system.auth.url, alice);
      const phone = await login(system.auth.url, alice);
      const bobs = await login(system.auth.url, bob);
      await expectAccepted(system.orders, phone.access_token);

      const answer = await call(`${system.auth.url}/auth/logout-all`, {
        method: 'POST',
        headers: bearer(laptop.access_token),
      });
      expect(answer.status).toBe(204);
      const at = Date.now();
      // Logged in again right away, usually within the same second as the cutoff.
      const fresh = await login(system.auth.url, alice);

      for (const service of [system.orders, system.game]) {
        await waitRejected(service, laptop.access_token, at);
        await waitRejected(service, phone.access_token, at);
        await expectAccepted(service, bobs.access_token);
        await expectAccepted(service, fresh.access_token);
      }
      for (const spent of [laptop, phone]) {
        const refresh = await call(`${system.auth.url}/auth/refresh`, {
          json: { refresh_token: spent.refresh_token },
        });
        expect(refresh.body).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      }
    });

    it('refresh rotation: a new pair works; two tabs share a successor; real reuse revokes the session', async () => {
      const username = uniqueName('carol');
      await register(system.auth.url, username);
      const first = await login(system.auth.url, username);

      const rotated = await call<TokenPair>(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: first.refresh_token },
      });
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
      expect(rotated.body.refresh_token).not.toBe(first.refresh_token);
      await expectAccepted(system.orders, rotated.body.access_token);
      await expectAccepted(system.game, rotated.body.access_token);

      // Two tabs refreshing at once: the spent token, presented again within the grace window,
      // yields the same successor instead of ending the session.
      const otherTab = await call<TokenPair>(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: first.refresh_token },
      });
      expect(otherTab.status).toBe(200);
      expect(otherTab.body.refresh_token).toBe(rotated.body.refresh_token);
      await expectAccepted(system.orders, otherTab.body.access_token);

      // Once the successor is spent too, the first token is plain reuse: the session ends.
      const third = await call<TokenPair>(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: rotated.body.refresh_token },
      });
      expect(third.status).toBe(200);
      const replay = await call(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: first.refresh_token },
      });
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      const at = Date.now();

      for (const service of [system.orders, system.game]) {
        await waitRejected(service, third.body.access_token, at);
        await waitRejected(service, rotated.body.access_token, at);
        await waitRejected(service, first.access_token, at);
      }
      const thief = await call(`${system.auth.url}/auth/refresh`, {
        json: { refresh_token: third.body.refresh_token },
      });
      expect(thief.status).toBe(401);
      expect(thief.body).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
    });

    it('a downstream instance started after the revocations is not ready, then ready, and rejects them', async () => {
      const username = uniqueName('dave');
      await register(system.auth.url, username);
      const revoked = await Promise.all([1, 2, 3].map(() => login(system.auth.url, username)));
      const kept = await login(system.auth.url, username);
      for (const tokens of revoked) {
        const answer = await call(`${system.auth.url}/auth/logout`, {
          method: 'POST',
          headers: bearer(tokens.access_token),
        });
        expect(answer.status).toBe(204);
      }
      // Wait until the existing instance has them, so the events are certainly on the topic.
      for (const tokens of revoked)
        await waitRejected(system.orders, tokens.access_token, Date.now());

      const late = await system.startDownstream('orders');
      const states: number[] = [];
      await waitFor(
        'the late instance to become ready',
        async () => {
          const ready = await call(`${late.url}/health/ready`);
          if (states.at(-1) !== ready.status) states.push(ready.status);
          return ready.status === 200 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 5 },
      );
      expect(states).toEqual([503, 200]);

      for (const tokens of revoked) {
        const me = await call(`${late.url}/me`, { headers: bearer(tokens.access_token) });
        expect({ status: me.status, body: me.body }).toMatchObject({
          status: 401,
          body: { code: 'TOKEN_REVOKED' },
        });
      }
      await expectAccepted(late, kept.access_token);
    });
  },
);
