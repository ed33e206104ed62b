import { Injectable, Optional } from '@nestjs/common';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { RevocationFeed } from '../core/revocation-feed.js';
import { RpcRefusals } from './rpc-transport.js';

/**
 * Prometheus text exposition (format 0.0.4) of the guard's state, without a client library:
 * serve `render()` from a `/metrics` route with content type {@link RevocationMetrics.CONTENT_TYPE}.
 */
@Injectable()
export class RevocationMetrics {
  static readonly CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

  constructor(
    private readonly feed: RevocationFeed,
    private readonly authenticator: AccessTokenAuthenticator,
    @Optional() private readonly rpcRefusals?: RpcRefusals,
  ) {}

  render(): string {
    const stats = this.feed.stats();
    const size = this.feed.denylist.size();
    const staleness = this.feed.stalenessMs();
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('tokenfence_ready', 'gauge', 'Caught up with the revocation topic (1) or not (0).', [
      ['', stats.ready ? 1 : 0],
    ]);
    metric('tokenfence_denylist_entries', 'gauge', 'Live revocations held, by scope.', [
      ...Object.entries(size as unknown as Record<string, number>).map(
        ([scope, n]): [string, number] => [`{scope="${scope}"}`, n],
      ),
    ]);
    metric('tokenfence_events_applied_total', 'counter', 'Revocations applied.', [
      ['', stats.applied],
    ]);
    metric(
      'tokenfence_events_expired_total',
      'counter',
      'Revocations skipped as already expired.',
      [['', stats.ignoredExpired]],
    );
    metric(
      'tokenfence_events_duplicate_total',
      'counter',
      'Revocations that changed nothing (redelivered or replayed).',
      [['', stats.duplicates]],
    );
    metric('tokenfence_events_rejected_total', 'counter', 'Messages refused, by reason.', [
      ...Object.entries(stats.rejected).map(([reason, n]): [string, number] => [
        `{reason="${reason}"}`,
        n,
      ]),
    ]);
    metric('tokenfence_heartbeats_total', 'counter', 'Auth-service heartbeats received.', [
      ['', stats.heartbeats],
    ]);
    metric(
      'tokenfence_staleness_seconds',
      'gauge',
      'Age of the last proof of freshness; +Inf before the first.',
      [['', Number.isFinite(staleness) ? staleness / 1000 : Infinity]],
    );
    const histogram = this.feed.propagation.snapshot();
    lines.push(
      '# HELP tokenfence_propagation_seconds Auth-service commit to applied here.',
      '# TYPE tokenfence_propagation_seconds histogram',
      ...histogram.buckets.map(
        ([le, n]) => `tokenfence_propagation_seconds_bucket{le="${le}"} ${n}`,
      ),
      `tokenfence_propagation_seconds_bucket{le="+Inf"} ${histogram.count}`,
      `tokenfence_propagation_seconds_sum ${histogram.sum}`,
      `tokenfence_propagation_seconds_count ${histogram.count}`,
    );
    metric('tokenfence_verifications_total', 'counter', 'Guard outcomes, by result code.', [
      ...[...this.authenticator.outcomes].map(([code, n]): [string, number] => [
        `{result="${code}"}`,
        n,
      ]),
    ]);
    metric(
      'tokenfence_rpc_refusals_total',
      'counter',
      'Microservice messages refused, by kind (message, event) and code.',
      (this.rpcRefusals?.snapshot() ?? []).map(([kind, code, n]): [string, number] => [
        `{kind="${kind}",code="${code}"}`,
        n,
      ]),
    );
    return `${lines.join('\n')}\n`;
  }
}
