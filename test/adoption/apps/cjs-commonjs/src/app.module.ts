import { Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
import { RevocationHealthIndicator } from '@tokenfence/revocation-guard/terminus';
import { HealthController } from './health.controller';
import { MeController } from './me.controller';

const issuer = process.env.AUTH_ISSUER ?? 'http://127.0.0.1:3000';

@Module({
  imports: [
    TerminusModule,
    RevocationGuardModule.forRoot({
      issuer,
      audience: 'tokenfence-services',
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      kafka: {
        brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
        clientId: 'adoption-cjs-commonjs',
        groupIdPrefix: 'adoption-cjs-commonjs',
      },
    }),
  ],
  controllers: [MeController, HealthController],
  providers: [RevocationHealthIndicator],
})
export class AppModule implements OnApplicationShutdown {
  onApplicationShutdown(signal?: string) {
    new Logger('App').log(`closed on ${signal}`);
  }
}
