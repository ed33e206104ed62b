import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { ManualClock } from '../core/manual-clock.js';
import { InMemoryEventSource } from '../testing/in-memory-event-source.js';
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { RevocationGuardModule } from './revocation-guard.module.js';
import type { RevocationGuardModuleOptions } from './revocation-guard.options.js';
import { RevocationMetrics } from './revocation-metrics.js';
import { GuardError } from '../core/guard-error.js';
import type { RpcContextInfo } from './revocation-guard.options.js';
import { RpcRefusals } from './rpc-transport.js';

const T0 = 1_800_000_000_000;

/** The metric families of 1.x and 2.0 (hand-written text), which a registry must keep. */
const FAMILIES_BEFORE = [
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
  'tokenfence_rpc_refusals_total',
];

/** `series -> value` of a text exposition, `+Inf` and `Infinity` alike. */
function series(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const value = line.slice(at + 1);
    samples.set(line.slice(0, at), value === '+Inf' ? Infinity : Number(value));
  }
  return samples;
}

const familiesIn = (text: string) => [...text.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name);

let apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

async function guardApp(issuer: TestIssuer, extra: Partial<RevocationGuardModuleOptions>) {
  const events = new InMemoryEventSource(issuer, { heartbeatIntervalMs: 0 });
  @Module({
    imports: [
      RevocationGuardModule.forRoot({ ...issuer.moduleOptions(), eventSource: events, ...extra }),
    ],
  })
  class GuardModule {}
  const app = await NestFactory.createApplicationContext(GuardModule, {
    logger: false,
    abortOnError: false,
  });
  apps.push(app);
  await app.init();
  return { app, events };
}

describe('RevocationMetrics and metrics: { registry }', () => {
  it("puts every series of render() into the app's registry, same names, same values", async () => {
    const clock = new ManualClock(T0);
    const issuer = await createTestIssuer({ clock });
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const ordersServed = new Counter({
      name: 'app_orders_total',
      help: "The app's own.",
      registers: [registry],
    });
    ordersServed.inc();
    const { app, events } = await guardApp(issuer, { metrics: { registry } });
    const authenticator = app.get(AccessTokenAuthenticator);
    const token = await issuer.token();
    await authenticator.authenticate(`Bearer ${token}`);
    await events.revokeSession(token);
    await authenticator.authenticate(`Bearer ${token}`).catch(() => undefined);
    clock.advance(42_000);

    const text = app.get(RevocationMetrics).render();
    const scraped = await registry.metrics();
    // Later families (3.x: JWKS age; issue 14: revocations of untrusted issuers) join them.
    expect(familiesIn(text)).toEqual([
      ...FAMILIES_BEFORE.slice(0, 5),
      'tokenfence_events_untrusted_issuer_total',
      ...FAMILIES_BEFORE.slice(5),
      'tokenfence_jwks_age_seconds',
    ]);
    expect(familiesIn(scraped)).toEqual(expect.arrayContaining(familiesIn(text)));
    const rendered = series(text);
    expect(rendered.get('tokenfence_verifications_total{result="ok"}')).toBe(1);
    expect(rendered.get('tokenfence_verifications_total{result="TOKEN_REVOKED"}')).toBe(1);
    expect(rendered.get('tokenfence_denylist_entries{scope="session"}')).toBe(1);
    expect(rendered.get('tokenfence_jwks_age_seconds{source="local"}')).toBe(42);
    expect(rendered.get('tokenfence_staleness_seconds')).toBe(42);
    expect(rendered.get('tokenfence_propagation_seconds_count')).toBe(1);
    const inRegistry = series(scraped);
    for (const [name, value] of rendered)
      expect([name, inRegistry.get(name)]).toEqual([name, value]);
    // The app's own metrics and the process defaults are in the same scrape.
    expect(inRegistry.get('app_orders_total')).toBe(1);
    expect(scraped).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('lists every family it writes in the README metrics table', async () => {
    const issuer = await createTestIssuer();
    const { app } = await guardApp(issuer, {});
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = new Set(
      [...readme.matchAll(/^\| `(tokenfence_[a-z_]+)(?:\{[^}]*\})?`/gm)].map(([, name]) => name),
    );
    const written = familiesIn(app.get(RevocationMetrics).render());
    expect(written.length).toBeGreaterThan(10);
    expect(written.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('counts refused microservice messages in render() and in the registry alike', async () => {
    const issuer = await createTestIssuer();
    const registry = new Registry();
    const { app } = await guardApp(issuer, { metrics: { registry } });
    const message = (kind: RpcContextInfo['kind']): RpcContextInfo => ({
      transport: 'kafka',
      kind,
      pattern: 'orders.created',
      data: {},
      headers: {},
      timestampMs: undefined,
      context: {},
    });
    const refusals = app.get(RpcRefusals);
    const missing = new GuardError('TOKEN_MISSING', 'no token');
    refusals.record(message('event'), missing, 'OrdersRpc.created');
    refusals.record(message('event'), missing, 'OrdersRpc.created');
    refusals.record(message('message'), missing, 'OrdersRpc.get');

    const name = 'tokenfence_rpc_refusals_total';
    for (const text of [app.get(RevocationMetrics).render(), await registry.metrics()]) {
      const samples = series(text);
      expect(samples.get(`${name}{kind="event",code="TOKEN_MISSING"}`)).toBe(2);
      expect(samples.get(`${name}{kind="message",code="TOKEN_MISSING"}`)).toBe(1);
    }
  });

  it('writes +Inf before the first heartbeat and the first JWKS fetch', async () => {
    const issuer = await createTestIssuer();
    // A source that never delivers: no heartbeat, so no event key (nor JWKS) is ever needed.
    const silent = { start: () => Promise.resolve(), stop: () => Promise.resolve() };
    const { app } = await guardApp(issuer, { eventSource: silent });
    const text = app.get(RevocationMetrics).render();
    expect(text).toMatch(/^tokenfence_staleness_seconds \+Inf$/m);
    expect(text).toMatch(/^tokenfence_jwks_age_seconds\{source="local"\} \+Inf$/m);
    expect(text).toMatch(/^tokenfence_ready 0$/m);
  });

  it('leaves the registry when the app closes; the registry keeps the rest', async () => {
    const issuer = await createTestIssuer();
    const registry = new Registry();
    new Counter({ name: 'app_orders_total', help: "The app's own.", registers: [registry] });
    const { app } = await guardApp(issuer, { metrics: { registry } });
    expect(registry.getSingleMetric('tokenfence_ready')).toBeDefined();
    await app.close();
    apps = [];
    expect(familiesIn(await registry.metrics())).toEqual(['app_orders_total']);
  });

  it('refuses a second guard on the same registry, naming the metrics', async () => {
    const issuer = await createTestIssuer();
    const registry = new Registry();
    await guardApp(issuer, { metrics: { registry } });
    await expect(guardApp(issuer, { metrics: { registry } })).rejects.toThrow(
      /^metrics\.registry already has tokenfence_ready, .*tokenfence_jwks_age_seconds; give each guard a registry of its own$/,
    );
  });

  it('refuses a registry that is not a prom-client Registry', async () => {
    const issuer = await createTestIssuer();
    await expect(guardApp(issuer, { metrics: { registry: {} as Registry } })).rejects.toThrow(
      new TypeError('RevocationGuardModule: "metrics.registry" must be a prom-client Registry'),
    );
  });
});
