import 'reflect-metadata';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { requestLogging, ServiceLogger } from '@tokenfence/service-kit';
import { OrdersAppModule } from './app.module.js';
import type { OrdersConfig } from './orders.config.js';

/** The service, not listening yet; `logger` overrides the configured one (tests). */
export async function createOrdersApp(
  config: OrdersConfig,
  logger?: false | LogLevel[],
): Promise<INestApplication> {
  const app = await NestFactory.create(OrdersAppModule.forRoot(config), {
    logger: logger ?? new ServiceLogger(config.log),
  });
  app.use(requestLogging());
  return app;
}
