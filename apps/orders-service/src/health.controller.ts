import { Controller, Get, Header, Headers, Inject, UnauthorizedException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public, RevocationMetrics } from '@tokenfence/revocation-guard';
import { RevocationHealthIndicator } from '@tokenfence/revocation-guard/terminus';
import { bearerMatches } from '@tokenfence/service-kit';
import { ORDERS_CONFIG, type OrdersConfig } from './orders.config.js';

@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly revocations: RevocationHealthIndicator,
    private readonly metrics: RevocationMetrics,
    @Inject(ORDERS_CONFIG) private readonly config: OrdersConfig,
  ) {}

  /** Terminus: 200 `ok` or `degraded` (stale, still serving), 503 until caught up or when stale under `reject`. */
  @Get('health/ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.revocations.isHealthy('revocations')]);
  }

  /**
   * Prometheus scrape endpoint; keep it on an internal network in production, and set
   * `METRICS_BEARER_TOKEN` to require `Authorization: Bearer <it>`.
   */
  @Get('metrics')
  @Header('Content-Type', RevocationMetrics.CONTENT_TYPE)
  scrape(@Headers('authorization') authorization: string | undefined): string {
    const token = this.config.metricsBearerToken;
    if (token !== undefined && !bearerMatches(authorization, token)) {
      throw new UnauthorizedException({
        statusCode: 401,
        code: 'TOKEN_MISSING',
        message: 'Scraping needs the metrics bearer token.',
        error: 'Unauthorized',
      });
    }
    return this.metrics.render();
  }
}
