import { describe, expect, it } from '@jest/globals';
import { call } from './support/http.js';
import { useSystem } from './support/use-system.js';

const METRICS_TOKEN = 'orders-scrape-0123456789';

describe("orders-service /metrics behind METRICS_BEARER_TOKEN (the guard's metrics)", () => {
  const system = useSystem({ database: 'embedded' });

  it('is open by default', async () => {
    const answer = await call<string>(`${system.orders.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^tokenfence_ready 1$/m);
  });

  it('answers 401 TOKEN_MISSING without the token and 200 with it', async () => {
    const orders = await system.startDownstream('orders', { METRICS_BEARER_TOKEN: METRICS_TOKEN });
    await system.waitReady(orders);
    for (const authorization of [undefined, 'Bearer not-the-token-at-all', METRICS_TOKEN]) {
      const answer = await call<{ code?: string }>(`${orders.url}/metrics`, {
        headers: authorization ? { authorization } : {},
      });
      expect({ authorization, status: answer.status, code: answer.body.code }).toEqual({
        authorization,
        status: 401,
        code: 'TOKEN_MISSING',
      });
    }
    const scraped = await call<string>(`${orders.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toMatch(/^tokenfence_ready 1$/m);
  });
});
