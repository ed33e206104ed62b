import 'reflect-metadata';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { requestLogging, ServiceLogger } from '@tokenfence/service-kit';
import { GameAppModule } from './app.module.js';
import type { GameConfig } from './game.config.js';

/** The service, not listening yet; `logger` overrides the configured one (tests). */
export async function createGameApp(
  config: GameConfig,
  logger?: false | LogLevel[],
): Promise<INestApplication> {
  const app = await NestFactory.create(GameAppModule.forRoot(config), {
    logger: logger ?? new ServiceLogger(config.log),
  });
  app.use(requestLogging());
  return app;
}
