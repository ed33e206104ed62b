import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '@tokenfence/revocation-guard';
import { RevocationHealthIndicator } from '@tokenfence/revocation-guard/terminus';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly revocations: RevocationHealthIndicator,
  ) {}
  @Get('ready') @HealthCheck() ready() {
    return this.health.check([() => this.revocations.isHealthy('revocations')]);
  }
}
