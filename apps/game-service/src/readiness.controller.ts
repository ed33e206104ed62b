import { Controller, Get } from '@nestjs/common';
import { Public, RevocationReadiness, type ReadinessReport } from '@tokenfence/revocation-guard';

/** 503 until this instance has replayed every revocation that can still matter. */
@Controller('health')
export class ReadinessController {
  constructor(private readonly readiness: RevocationReadiness) {}

  /** Liveness: 200 while the process serves HTTP, ready or not. */
  @Public()
  @Get('live')
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  @Public()
  @Get('ready')
  ready(): ReadinessReport {
    return this.readiness.check();
  }
}
