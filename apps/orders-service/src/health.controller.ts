import { Controller, Get } from '@nestjs/common';
import { Public, RevocationReadiness, type ReadinessReport } from '@tokenfence/revocation-guard';

@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: RevocationReadiness) {}

  @Get('ready')
  ready(): ReadinessReport {
    return this.readiness.check();
  }
}
