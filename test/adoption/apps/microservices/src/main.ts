import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { AppModule } from './app.module.js';
import { PREFIX } from './topics.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  // inheritAppConfig: the module's global guard also checks the microservice handlers.
  app.connectMicroservice<MicroserviceOptions>(
    {
      transport: Transport.KAFKA,
      options: {
        client: {
          clientId: 'adoption-microservices',
          brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
        },
        consumer: { groupId: `${PREFIX}adoption-microservices` },
        subscribe: { fromBeginning: true },
      },
    },
    { inheritAppConfig: true },
  );
  app.connectMicroservice<MicroserviceOptions>(
    {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: Number(process.env.TCP_PORT ?? 4000) },
    },
    { inheritAppConfig: true },
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(process.env.PORT ?? 3000);
}
await bootstrap();
