import { Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
import { HealthController } from './health.controller.js';
import { MeController } from './me.controller.js';
import { PingGateway } from './ping.gateway.js';

const issuer = process.env.AUTH_ISSUER ?? 'http://127.0.0.1:3000';

@Module({
  imports: [
    RevocationGuardModule.forRoot({
      issuer,
      audience: 'tokenfence-services',
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      kafka: {
        brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
        clientId: 'adoption-socketio-gateway',
        groupIdPrefix: 'adoption-socketio-gateway',
      },
    }),
  ],
  controllers: [MeController, HealthController],
  providers: [PingGateway],
})
export class AppModule implements OnApplicationShutdown {
  onApplicationShutdown(signal?: string) {
    new Logger('App').log(`closed on ${signal}`);
  }
}
