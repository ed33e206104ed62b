import { Module, type DynamicModule } from '@nestjs/common';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
import { HealthController } from './health.controller.js';
import { MeController } from './me.controller.js';
import { OrdersController } from './orders.controller.js';
import type { OrdersConfig } from './orders.config.js';

@Module({})
export class OrdersAppModule {
  static forRoot(config: OrdersConfig): DynamicModule {
    return {
      module: OrdersAppModule,
      imports: [RevocationGuardModule.forRoot(config.guard)],
      controllers: [MeController, OrdersController, HealthController],
    };
  }
}
