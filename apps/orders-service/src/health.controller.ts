import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '@tokenfence/revocation-guard';
import { RevocationHealthIndicator } from '@tokenfence/revocation-guard/terminus';

/** Readiness; `/metrics` is service-kit's MetricsController. */
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly revocations: RevocationHealthIndicator,
  ) {}

  /** Terminus: 200 `ok` or `degraded` (stale, still serving), 503 until caught up or when stale under `reject`. */
  @Get('health/ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.revocations.isHealthy('revocations')]);
  }
}
