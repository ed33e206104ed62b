import 'reflect-metadata';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OrdersAppModule } from './app.module.js';
import type { OrdersConfig } from './orders.config.js';

export async function createOrdersApp(
  config: OrdersConfig,
  logger?: false | LogLevel[],
): Promise<INestApplication> {
  return NestFactory.create(
    OrdersAppModule.forRoot(config),
    logger === undefined ? {} : { logger },
  );
}
