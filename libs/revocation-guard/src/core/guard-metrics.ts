import type { AccessTokenAuthenticator } from './access-token-authenticator.js';
import type { RevocationFeed } from './revocation-feed.js';
import type { RpcRefusalCounts } from './rpc-refusal-counts.js';

/** One series of a metric family: its labels and value (`metricName` for histogram parts). */
export interface MetricSample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** A metric family as prom-client's `get()` returns it: what both exporters below render. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly MetricSample[];
}

/**
 * The part of a prom-client `Registry` (15.x) the guard uses, typed structurally: the guard never
 * imports prom-client, an app that has it passes its registry as `metrics: { registry }`.
 */
export interface MetricsRegistry {
  registerMetric(metric: { get(): Promise<unknown>; reset(): void }): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/** The `metrics` option: where the guard's metrics go besides its own text rendering. */
export interface GuardMetricsOptions {
  /**
   * The app's prom-client `Registry`: the guard's metrics join it under the names `render()` uses,
   * read at scrape time, and leave it when the guard closes.
   */
  readonly registry?: MetricsRegistry;
}

/** A JWKS cache the metrics report on, named by where its keys come from. */
export interface MetricsKeySource {
  /** The JWKS URL without query or fragment, or `local` for a local key set. */
  readonly label: string;
  lastFetchedAtMs(): number | undefined;
}

export interface GuardMetricsParts {
  readonly feed: RevocationFeed;
  readonly authenticator: AccessTokenAuthenticator;
  readonly keySources: readonly MetricsKeySource[];
  readonly nowMs: () => number;
  /** Microservice refusals (Nest rpc handlers); the family is written empty without them. */
  readonly rpcRefusals?: Pick<RpcRefusalCounts, 'snapshot'>;
}

/** Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A number as Prometheus writes it (`+Inf`, `-Inf`, `NaN`). */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

const escapeLabel = (value: string | number): string =>
  String(value).replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');

/**
 * The guard's metrics, framework-free: read from the feed, the authenticator and the JWKS caches
 * when asked (nothing is kept twice). `render()` writes the Prometheus text without a client
 * library; `register(registry)` adds the same families to an app's prom-client registry.
 */
export class GuardMetrics {
  private registered: { registry: MetricsRegistry; metrics: object[] } | undefined;
  /** One reading per scrape: prom-client asks every family in the same turn. */
  private snapshot: MetricFamily[] | undefined;

  constructor(private readonly parts: GuardMetricsParts) {}

  /** Every family, as of now. */
  families(): MetricFamily[] {
    const { feed, authenticator, keySources, nowMs, rpcRefusals } = this.parts;
    const stats = feed.stats();
    const staleness = feed.stalenessMs();
    const family = (
      name: string,
      type: MetricFamily['type'],
      help: string,
      values: MetricSample[],
    ): MetricFamily => ({ name, help, type, aggregator: 'sum', values });
    const histogram = feed.propagation.snapshot();
    const propagation = 'tokenfence_propagation_seconds';
    return [
      family('tokenfence_ready', 'gauge', 'Caught up with the revocation topic (1) or not (0).', [
        { labels: {}, value: stats.ready ? 1 : 0 },
      ]),
      family(
        'tokenfence_denylist_entries',
        'gauge',
        'Live revocations held, by scope.',
        Object.entries(feed.denylist.size() as unknown as Record<string, number>).map(
          ([scope, value]) => ({ labels: { scope }, value }),
        ),
      ),
      family('tokenfence_events_applied_total', 'counter', 'Revocations applied.', [
        { labels: {}, value: stats.applied },
      ]),
      family(
        'tokenfence_events_expired_total',
        'counter',
        'Revocations skipped as already expired.',
        [{ labels: {}, value: stats.ignoredExpired }],
      ),
      family(
        'tokenfence_events_duplicate_total',
        'counter',
        'Revocations that changed nothing (redelivered or replayed).',
        [{ labels: {}, value: stats.duplicates }],
      ),
      family(
        'tokenfence_events_untrusted_issuer_total',
        'counter',
        'Revocations skipped unstored: their issuer is not one this guard trusts.',
        [{ labels: {}, value: stats.untrustedIssuer }],
      ),
      family(
        'tokenfence_events_rejected_total',
        'counter',
        'Messages refused, by reason.',
        Object.entries(stats.rejected).map(([reason, value]) => ({ labels: { reason }, value })),
      ),
      family('tokenfence_heartbeats_total', 'counter', 'Auth-service heartbeats received.', [
        { labels: {}, value: stats.heartbeats },
      ]),
      family(
        'tokenfence_staleness_seconds',
        'gauge',
        'Age of the last proof of freshness; +Inf before the first.',
        [{ labels: {}, value: Number.isFinite(staleness) ? staleness / 1000 : Infinity }],
      ),
      family(propagation, 'histogram', 'Auth-service commit to applied here.', [
        ...histogram.buckets.map(([le, value]) => ({
          metricName: `${propagation}_bucket`,
          labels: { le },
          value,
        })),
        { metricName: `${propagation}_bucket`, labels: { le: '+Inf' }, value: histogram.count },
        { metricName: `${propagation}_sum`, labels: {}, value: histogram.sum },
        { metricName: `${propagation}_count`, labels: {}, value: histogram.count },
      ]),
      family(
        'tokenfence_verifications_total',
        'counter',
        'Guard outcomes, by result code.',
        [...authenticator.outcomes].map(([result, value]) => ({ labels: { result }, value })),
      ),
      family(
        'tokenfence_rpc_refusals_total',
        'counter',
        'Microservice messages refused, by kind (message, event) and code.',
        (rpcRefusals?.snapshot() ?? []).map(([kind, code, value]) => ({
          labels: { kind, code },
          value,
        })),
      ),
      family(
        'tokenfence_jwks_age_seconds',
        'gauge',
        'Since the last successful JWKS fetch, by key source; +Inf before the first.',
        keySources.map((source) => {
          const fetchedAt = source.lastFetchedAtMs();
          return {
            labels: { source: source.label },
            value: fetchedAt === undefined ? Infinity : Math.max(0, nowMs() - fetchedAt) / 1000,
          };
        }),
      ),
    ];
  }

  /** The Prometheus text exposition (format 0.0.4) of every family. */
  render(): string {
    const lines: string[] = [];
    for (const { name, help, type, values } of this.families()) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const { metricName = name, labels, value } of values) {
        const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
        lines.push(
          `${metricName}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`,
        );
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * Adds every family to a prom-client registry, each read at scrape time. Throws when the
   * registry already has one of the names (another guard registered there) and adds nothing then.
   */
  register(registry: MetricsRegistry): void {
    if (this.registered) throw new TypeError('the guard metrics are already registered');
    const names = this.families().map((f) => f.name);
    const taken = names.filter((name) => registry.getSingleMetric(name) !== undefined);
    if (taken.length > 0) {
      throw new TypeError(
        `metrics.registry already has ${taken.join(', ')}; give each guard a registry of its own`,
      );
    }
    const metrics = names.map((name) => {
      const current = () => this.scrape().find((f) => f.name === name) as MetricFamily;
      const { help, type } = current();
      return {
        name,
        help,
        type,
        aggregator: 'sum' as const,
        get: () => Promise.resolve(current()),
        reset: () => undefined, // the values are the guard's state, not prom-client's
      };
    });
    for (const metric of metrics) registry.registerMetric(metric);
    this.registered = { registry, metrics };
  }

  private scrape(): MetricFamily[] {
    if (this.snapshot === undefined) {
      this.snapshot = this.families();
      queueMicrotask(() => {
        this.snapshot = undefined;
      });
    }
    return this.snapshot;
  }

  /** Takes the families out of the registry they were added to (on close). */
  unregister(): void {
    if (!this.registered) return;
    const { registry, metrics } = this.registered;
    for (const metric of metrics as { name: string }[]) {
      if (registry.getSingleMetric(metric.name) === metric)
        registry.removeSingleMetric(metric.name);
    }
    this.registered = undefined;
  }
}
