import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
import { HealthController } from './health.controller.js';
import { ShopResolver } from './shop.resolver.js';

const issuer = process.env.AUTH_ISSUER ?? 'http://127.0.0.1:3000';

@Module({
  imports: [
    RevocationGuardModule.forRoot({
      issuer,
      audience: 'tokenfence-services',
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      kafka: {
        brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
        clientId: 'adoption-graphql-apollo',
        groupIdPrefix: 'adoption-graphql-apollo',
      },
    }),
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      // Runs the global guard on @ResolveField too (Viewer.adminNote).
      fieldResolverEnhancers: ['guards'],
    }),
  ],
  controllers: [HealthController],
  providers: [ShopResolver],
})
export class AppModule implements OnApplicationShutdown {
  onApplicationShutdown(signal?: string) {
    new Logger('App').log(`closed on ${signal}`);
  }
}
