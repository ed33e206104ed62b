import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { bearerMatches } from '@tokenfence/service-kit';
import type { Response } from 'express';
import { AUTH_CONFIG, type AuthConfig } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import { AuthMetrics } from './auth-metrics.js';

/** Prometheus scrape endpoint; with `METRICS_BEARER_TOKEN` set, only for its holder. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: AuthMetrics,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const token = this.config.metricsBearerToken;
    if (token !== undefined && !bearerMatches(authorization, token)) {
      throw new AuthError('TOKEN_MISSING', 'Scraping needs the metrics bearer token.');
    }
    res.type(this.metrics.contentType);
    return this.metrics.render();
  }
}
