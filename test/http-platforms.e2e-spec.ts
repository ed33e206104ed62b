import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CapturingLogger, startHttpApp, type HttpPlatform } from './support/guarded-apps.js';
import { bearer, call } from './support/http.js';
import type { RunningService } from './support/system.js';
import { useSystem } from './support/use-system.js';
import { loggedIn, logout, type TokenPair } from './support/users.js';
import { waitFor } from './support/wait-for.js';

// One suite body, run on each HTTP platform a Nest app can use.
describe.each<HttpPlatform>(['express', 'fastify'])(
  'a guarded REST app on %s against the real auth service and topic',
  (platform) => {
    const system = useSystem({ database: 'embedded' });
    const logger = new CapturingLogger();
    let api: RunningService;
    let problems: RunningService;
    let tokens: TokenPair;

    beforeAll(async () => {
      api = await startHttpApp(system, platform, {}, logger);
      problems = await startHttpApp(system, platform, { problemDetails: true }, logger);
      await Promise.all([system.waitReady(api), system.waitReady(problems)]);
      tokens = await loggedIn(system.auth.url, platform);
    }, 60_000);
    afterAll(async () => {
      await Promise.allSettled([api?.close(), problems?.close()]);
    });

    it('answers 200 for a live token, with the principal', async () => {
      const me = await call(`${api.url}/me`, { headers: bearer(tokens.access_token) });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ scopes: expect.arrayContaining(['orders:read']) });
      const orders = await call(`${api.url}/orders`, { headers: bearer(tokens.access_token) });
      expect({ status: orders.status, body: orders.body }).toEqual({
        status: 200,
        body: { orders: [] },
      });
    });

    it('answers a @Public() route without a token, and 401 TOKEN_MISSING on a guarded one', async () => {
      expect((await call(`${api.url}/catalogue`)).status).toBe(200);
      const me = await call(`${api.url}/me`);
      expect({ status: me.status, body: me.body }).toEqual({
        status: 401,
        body: {
          statusCode: 401,
          code: 'TOKEN_MISSING',
          message: expect.any(String) as unknown,
          error: 'Unauthorized',
        },
      });
      expect(me.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('answers 403 INSUFFICIENT_SCOPE with a scope= challenge for a missing scope', async () => {
      const checkout = await call(`${api.url}/checkout`, {
        method: 'POST',
        headers: bearer(tokens.access_token),
      });
      expect({ status: checkout.status, code: checkout.body.code }).toEqual({
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
      });
      expect(checkout.headers.get('www-authenticate')).toBe(
        'Bearer error="insufficient_scope", error_description="INSUFFICIENT_SCOPE", ' +
          'scope="orders:write"',
      );
    });

    it('answers application/problem+json with problemDetails: true', async () => {
      const checkout = await call(`${problems.url}/checkout`, {
        method: 'POST',
        headers: bearer(tokens.access_token),
      });
      expect(checkout.status).toBe(403);
      expect(checkout.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
      expect(checkout.body).toEqual({
        type: 'https://tokenfence.dev/problems/insufficient-scope',
        title: 'Forbidden',
        status: 403,
        detail: expect.any(String) as unknown,
        code: 'INSUFFICIENT_SCOPE',
      });
      const missing = await call(`${problems.url}/me`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
      expect(missing.body).toMatchObject({ status: 401, code: 'TOKEN_MISSING' });
    });

    it('answers 401 TOKEN_REVOKED with an invalid_token challenge once logged out', async () => {
      await logout(system.auth.url, tokens);
      for (const service of [api, problems]) {
        const refused = await waitFor(
          `${platform} to refuse the logged-out token`,
          async () => {
            const answer = await call(`${service.url}/me`, {
              headers: bearer(tokens.access_token),
            });
            return answer.status === 200 ? undefined : answer;
          },
          { timeoutMs: 15_000, intervalMs: 20 },
        );
        expect({ status: refused.status, code: refused.body.code }).toEqual({
          status: 401,
          code: 'TOKEN_REVOKED',
        });
        expect(refused.headers.get('www-authenticate')).toBe(
          'Bearer error="invalid_token", error_description="TOKEN_REVOKED"',
        );
      }
      const problem = await call(`${problems.url}/me`, { headers: bearer(tokens.access_token) });
      expect(problem.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
      expect(problem.body).toMatchObject({
        type: 'https://tokenfence.dev/problems/token-revoked',
        status: 401,
        code: 'TOKEN_REVOKED',
      });
    });

    it('answers 503 REVOCATION_STATE_NOT_READY with Retry-After until the topic is read', async () => {
      const token = (await loggedIn(system.auth.url, `${platform}-503`)).access_token;
      // A topic that does not exist: the guard can never catch up, so it fails closed.
      const blind = await startHttpApp(system, platform, {
        problemDetails: true,
        kafka: {
          brokers: system.brokers.split(','),
          topic: `e2e.absent.${randomBytes(4).toString('hex')}`,
          // No kafkajs retries inside one attempt: the guard's own loop retries, and closes fast.
          client: { retry: { retries: 0 } },
        },
      });
      try {
        const me = await call(`${blind.url}/me`, { headers: bearer(token) });
        expect({ status: me.status, code: me.body.code }).toEqual({
          status: 503,
          code: 'REVOCATION_STATE_NOT_READY',
        });
        expect(me.headers.get('retry-after')).toBe('1');
        expect(me.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
        expect((await call(`${blind.url}/catalogue`)).status).toBe(200);
      } finally {
        await blind.close();
      }
    });

    it('is still up, and logged no refusal as an error', async () => {
      await system.waitReady(api);
      await system.waitReady(problems);
      expect(logger.errors).toEqual([]);
    });
  },
);
