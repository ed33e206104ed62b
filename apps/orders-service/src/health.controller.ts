import { Controller, Get, Header } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public, RevocationMetrics } from '@tokenfence/revocation-guard';
import { RevocationHealthIndicator } from '@tokenfence/revocation-guard/terminus';

@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly revocations: RevocationHealthIndicator,
    private readonly metrics: RevocationMetrics,
  ) {}

  /** Terminus: 200 `ok` or `degraded` (stale, still serving), 503 until caught up or when stale under `reject`. */
  @Get('health/ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.revocations.isHealthy('revocations')]);
  }

  /** Prometheus scrape endpoint; keep it on an internal port or network in production. */
  @Get('metrics')
  @Header('Content-Type', RevocationMetrics.CONTENT_TYPE)
  scrape(): string {
    return this.metrics.render();
  }
}
