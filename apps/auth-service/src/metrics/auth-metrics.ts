import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { DATABASE, type Database } from '../database/database.js';

/** How a login ended, for `tokenfence_auth_logins_total{outcome}`. */
export type LoginOutcome = 'success' | 'invalid_credentials' | 'locked' | 'refused';

/**
 * The auth service's Prometheus metrics, on a registry of its own (plus the process defaults):
 * what a revocation's way to Kafka looks like from the producer's side, and login outcomes.
 */
@Injectable()
export class AuthMetrics {
  readonly registry = new Registry();

  readonly eventsPublished = new Counter({
    name: 'tokenfence_auth_events_published_total',
    help: 'Revocation events the relay published, by type (scope), and heartbeats.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly logins = new Counter({
    name: 'tokenfence_auth_logins_total',
    help: 'Password logins, by outcome (success, invalid_credentials, locked, refused).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly lockouts = new Counter({
    name: 'tokenfence_auth_lockouts_total',
    help: 'Username locks imposed after consecutive failed logins.',
    registers: [this.registry],
  });

  readonly signals = new Counter({
    name: 'tokenfence_auth_signals_total',
    help: "Identity providers' signals received, by provider, channel (backchannel-logout, ssf-push, ssf-poll) and outcome (applied, duplicate, replayed, unmappable).",
    labelNames: ['provider', 'channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly signalsRejected = new Counter({
    name: 'tokenfence_auth_signals_rejected_total',
    help: "Identity providers' signals refused, by provider, channel and code (SIGNAL_SIGNATURE_INVALID, ...).",
    labelNames: ['provider', 'channel', 'code'] as const,
    registers: [this.registry],
  });

  readonly ssfStreamFailures = new Counter({
    name: 'tokenfence_auth_ssf_stream_failures_total',
    help: "Failed attempts to set up, verify or poll a provider's Shared Signals stream (each retried with a backoff).",
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly relayLeader = new Gauge({
    name: 'tokenfence_auth_relay_leader',
    help: 'This instance holds the relay lock and publishes revocations (1) or stands by (0).',
    registers: [this.registry],
  });

  constructor(@Inject(DATABASE) db: Database) {
    collectDefaultMetrics({ register: this.registry });
    // Read at scrape time: the outbox is shared by every instance of the database.
    new Gauge({
      name: 'tokenfence_auth_outbox_pending_rows',
      help: 'Revocations committed and not yet published (outbox rows).',
      registers: [this.registry],
      async collect() {
        const [row] = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM outbox');
        this.set(Number(row?.n ?? 0));
      },
    });
    new Gauge({
      name: 'tokenfence_auth_outbox_oldest_pending_age_seconds',
      help: 'Publish lag: age of the oldest revocation not yet published (0 when none).',
      registers: [this.registry],
      async collect() {
        const [row] = await db.query<{ age: string | number | null }>(
          'SELECT EXTRACT(EPOCH FROM (now() - min(created_at))) AS age FROM outbox',
        );
        this.set(Math.max(0, Number(row?.age ?? 0)));
      },
    });
    new Gauge({
      name: 'tokenfence_auth_ssf_stream_verified',
      help: "A provider's Shared Signals stream is set up and its verification event reached us (1), or not yet (0).",
      labelNames: ['provider'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await db.query<{ provider_id: string; verified: boolean }>(
          'SELECT provider_id, verified_at IS NOT NULL AS verified FROM ssf_streams',
        );
        this.reset();
        for (const row of rows) this.set({ provider: row.provider_id }, row.verified ? 1 : 0);
      },
    });
    this.relayLeader.set(0);
  }

  /** The text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
