import { Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
import { HealthController } from './health.controller.js';
import { OrdersController } from './orders.controller.js';
import { OrdersRpc } from './orders.rpc.js';
import { OrdersService } from './orders.service.js';

const issuer = process.env.AUTH_ISSUER ?? 'http://127.0.0.1:3000';

@Module({
  imports: [
    RevocationGuardModule.forRoot({
      issuer,
      audience: 'tokenfence-services',
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      kafka: {
        brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
        clientId: 'adoption-microservices',
        groupIdPrefix: 'adoption-microservices',
      },
    }),
  ],
  controllers: [HealthController, OrdersController, OrdersRpc],
  providers: [OrdersService],
})
export class AppModule implements OnApplicationShutdown {
  onApplicationShutdown(signal?: string) {
    new Logger('App').log(`closed on ${signal}`);
  }
}
