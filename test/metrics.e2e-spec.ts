import { describe, expect, it } from '@jest/globals';
import { call } from './support/http.js';
import { useSystem } from './support/use-system.js';

const METRICS_TOKEN = 'orders-scrape-0123456789';

/** The guard's metric families, as 2.0 rendered them, plus the JWKS age. */
const GUARD_FAMILIES = [
  'tokenfence_ready',
  'tokenfence_denylist_entries',
  'tokenfence_events_applied_total',
  'tokenfence_events_expired_total',
  'tokenfence_events_duplicate_total',
  'tokenfence_events_rejected_total',
  'tokenfence_heartbeats_total',
  'tokenfence_staleness_seconds',
  'tokenfence_propagation_seconds',
  'tokenfence_verifications_total',
  'tokenfence_jwks_age_seconds',
];

describe('/metrics of the samples: one prom-client registry, the guard and the process', () => {
  const system = useSystem({ database: 'embedded' });

  it.each(['orders', 'game'] as const)(
    '%s: the guard metrics and the process defaults, open by default',
    async (kind) => {
      const service = kind === 'orders' ? system.orders : system.game;
      const answer = await call<string>(`${service.url}/metrics`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = [...answer.body.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name);
      expect(families).toEqual(expect.arrayContaining(GUARD_FAMILIES));
      expect(answer.body).toMatch(/^tokenfence_ready 1$/m);
      expect(answer.body).toMatch(/^process_cpu_user_seconds_total /m);
      expect(answer.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
      const age = /^tokenfence_jwks_age_seconds\{source="([^"]+)"\} (\S+)$/m.exec(answer.body);
      expect(age?.[1]).toBe(`${system.auth.url}/.well-known/jwks.json`);
      expect(Number(age?.[2])).toBeGreaterThanOrEqual(0);
      expect(Number(age?.[2])).toBeLessThan(600);
    },
  );

  it.each(['orders', 'game'] as const)(
    '%s: 401 TOKEN_MISSING without the METRICS_BEARER_TOKEN, 200 with it',
    async (kind) => {
      const service = await system.startDownstream(kind, { METRICS_BEARER_TOKEN: METRICS_TOKEN });
      await system.waitReady(service);
      for (const authorization of [undefined, 'Bearer not-the-token-at-all', METRICS_TOKEN]) {
        const answer = await call<{ code?: string }>(`${service.url}/metrics`, {
          headers: authorization ? { authorization } : {},
        });
        expect({ authorization, status: answer.status, code: answer.body.code }).toEqual({
          authorization,
          status: 401,
          code: 'TOKEN_MISSING',
        });
      }
      const scraped = await call<string>(`${service.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(scraped.status).toBe(200);
      expect(scraped.body).toMatch(/^tokenfence_ready 1$/m);
    },
  );
});
