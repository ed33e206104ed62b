import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { EVENT_ERROR_CODES } from '@tokenfence/contract';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RevocationGuardModule, RevocationMetrics } from '@tokenfence/revocation-guard';
import { createTestIssuer, InMemoryEventSource } from '@tokenfence/revocation-guard/testing';
import { parse } from 'yaml';
import type { Database } from '../database/database.js';
import { AuthMetrics } from './auth-metrics.js';

const root = new URL('../../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** What the metric names in a PromQL expression are: ours and the process defaults. */
const METRIC_NAME = /\b(?:tokenfence|process|nodejs)_[a-z0-9_]+\b/g;
const metricsIn = (expr: string): string[] => expr.match(METRIC_NAME) ?? [];

/** Every series name the auth service exports, read from its registry. */
async function authExports(): Promise<Set<string>> {
  const db = { query: () => Promise.resolve([{ n: 0, age: null }]) } as unknown as Database;
  const metrics = await new AuthMetrics(db).registry.getMetricsAsJSON();
  return new Set(
    metrics.flatMap((m) =>
      String(m.type) === 'histogram'
        ? [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]
        : [m.name],
    ),
  );
}

/** Every series name the guard writes, read from what a guard renders. */
async function guardExports(): Promise<Set<string>> {
  const issuer = await createTestIssuer();
  @Module({
    imports: [
      RevocationGuardModule.forRoot({
        ...issuer.moduleOptions(),
        eventSource: new InMemoryEventSource(issuer),
      }),
    ],
  })
  class GuardModule {}
  const app = await NestFactory.createApplicationContext(GuardModule, { logger: false });
  try {
    const text = app.get(RevocationMetrics).render();
    return new Set(text.match(/\btokenfence_[a-z0-9_]+\b/g) ?? []);
  } finally {
    await app.close();
  }
}

interface AlertRule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
}

const rules = (): AlertRule[] =>
  (
    parse(read('docs/observability/prometheus-alerts.yml')) as { groups: { rules: AlertRule[] }[] }
  ).groups.flatMap((g) => g.rules);

interface Panel {
  id: number;
  title: string;
  targets: { expr: string }[];
}

const panels = (): Panel[] =>
  (JSON.parse(read('docs/observability/grafana-dashboard.json')) as { panels: Panel[] }).panels;

describe('docs/observability', () => {
  it('reads what the guard exports from its rendering', async () => {
    // The rendering itself is checked, so an empty set cannot pass everything below.
    expect([...(await guardExports())]).toEqual(
      expect.arrayContaining(['tokenfence_staleness_seconds', 'tokenfence_events_rejected_total']),
    );
  });

  it('names only metrics the auth service or the guard exports, in every alert and panel', async () => {
    const exported = new Set([...(await authExports()), ...(await guardExports())]);
    const used = [
      ...rules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
      ...panels().flatMap((p) =>
        p.targets.map((t) => ({ where: `panel ${p.title}`, expr: t.expr })),
      ),
    ];
    expect(used.length).toBeGreaterThan(10);
    const unknown = used.flatMap(({ where, expr }) =>
      metricsIn(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
    expect(used.every(({ expr }) => metricsIn(expr).length > 0)).toBe(true);
  });

  it('alerts on staleness, backlog, signature rejects, relay leadership and JWKS age', () => {
    const all = rules();
    const named = (metric: string) => all.filter((r) => metricsIn(r.expr).includes(metric));
    expect(named('tokenfence_staleness_seconds')).not.toEqual([]);
    expect(named('tokenfence_auth_outbox_pending_rows')).not.toEqual([]);
    expect(named('tokenfence_auth_outbox_oldest_pending_age_seconds')).not.toEqual([]);
    expect(named('tokenfence_auth_relay_leader')).not.toEqual([]);
    expect(named('tokenfence_jwks_age_seconds')).not.toEqual([]);
    expect(
      named('tokenfence_events_rejected_total')
        .map((r) => r.expr)
        .join(),
    ).toContain('EVENT_SIGNATURE_INVALID');
    expect(all.every((r) => ['critical', 'warning'].includes(r.labels?.severity ?? ''))).toBe(true);
    expect(new Set(all.map((r) => r.alert)).size).toBe(all.length);
  });

  it('filters on label values the services really write', () => {
    const guardErrors = read('libs/revocation-guard/src/core/guard-error.ts');
    const exprs = [
      ...rules().map((r) => r.expr),
      ...panels().flatMap((p) => p.targets.map((t) => t.expr)),
    ];
    for (const expr of exprs) {
      for (const [, label, value] of expr.matchAll(/(\w+)="([^"]*)"/g)) {
        if (label === 'reason') expect(EVENT_ERROR_CODES).toContain(value);
        else if (label === 'result') expect(guardErrors).toContain(`${value}:`);
        else throw new Error(`unchecked label ${label}="${value}" in ${expr}`);
      }
    }
  });

  it('gives every dashboard panel a unique id', () => {
    const ids = panels().map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
