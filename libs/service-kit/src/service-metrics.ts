import {
  Controller,
  Get,
  Header,
  Headers,
  Inject,
  UnauthorizedException,
  type DynamicModule,
} from '@nestjs/common';
import { Public } from '@tokenfence/revocation-guard';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { bearerMatches } from './metrics-access.js';

/** Injection token of the service's one prom-client {@link Registry}. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
const METRICS_BEARER_TOKEN = Symbol('METRICS_BEARER_TOKEN');

/** A registry holding the process defaults; the service adds its own (the guard's) metrics. */
export function createServiceRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Prometheus scrape endpoint of a sample service: everything in its registry. Keep it on an
 * internal network in production, and set `METRICS_BEARER_TOKEN` to require
 * `Authorization: Bearer <it>`.
 */
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(METRICS_BEARER_TOKEN) private readonly bearerToken: { value: string | undefined },
  ) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    const token = this.bearerToken.value;
    if (token !== undefined && !bearerMatches(authorization, token)) {
      throw new UnauthorizedException({
        statusCode: 401,
        code: 'TOKEN_MISSING',
        message: 'Scraping needs the metrics bearer token.',
        error: 'Unauthorized',
      });
    }
    return this.registry.metrics();
  }
}

/**
 * `/metrics` for a sample service, serving `registry` (exported as {@link METRICS_REGISTRY}, so
 * the guard's options can name it), behind `bearerToken` when set.
 */
export function serviceMetricsModule(
  registry: Registry,
  bearerToken: string | undefined,
): DynamicModule {
  return {
    module: class ServiceMetricsModule {},
    global: true,
    controllers: [MetricsController],
    providers: [
      { provide: METRICS_REGISTRY, useValue: registry },
      { provide: METRICS_BEARER_TOKEN, useValue: { value: bearerToken } },
    ],
    exports: [METRICS_REGISTRY],
  };
}
