import { Controller, Get, Header } from '@nestjs/common';
import {
  Public,
  RevocationMetrics,
  RevocationReadiness,
  type ReadinessReport,
} from '@tokenfence/revocation-guard';

@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: RevocationReadiness,
    private readonly metrics: RevocationMetrics,
  ) {}

  @Get('health/ready')
  ready(): ReadinessReport {
    return this.readiness.check();
  }

  /** Prometheus scrape endpoint; keep it on an internal port or network in production. */
  @Get('metrics')
  @Header('Content-Type', RevocationMetrics.CONTENT_TYPE)
  scrape(): string {
    return this.metrics.render();
  }
}
