import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
import { RevocationHealthIndicator } from '@tokenfence/revocation-guard/terminus';
import { createServiceRegistry, serviceMetricsModule } from '@tokenfence/service-kit';
import { HealthController } from './health.controller.js';
import { MeController } from './me.controller.js';
import { OrdersController } from './orders.controller.js';
import { ORDERS_CONFIG, type OrdersConfig } from './orders.config.js';

@Module({})
export class OrdersAppModule {
  static forRoot(config: OrdersConfig): DynamicModule {
    // One registry for /metrics: the process defaults and the guard's metrics.
    const registry = createServiceRegistry();
    return {
      module: OrdersAppModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        RevocationGuardModule.forRoot({ ...config.guard, metrics: { registry } }),
        serviceMetricsModule(registry, config.metricsBearerToken),
      ],
      providers: [RevocationHealthIndicator, { provide: ORDERS_CONFIG, useValue: config }],
      controllers: [MeController, OrdersController, HealthController],
    };
  }
}
