import { Controller, Get } from '@nestjs/common';
import { Public, RevocationReadiness } from '@tokenfence/revocation-guard';

/** 503 until the guard has caught up with the revocation topic. */
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: RevocationReadiness) {}
  @Get('ready') ready() {
    return this.readiness.check();
  }
}
