import 'reflect-metadata';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GameAppModule } from './app.module.js';
import type { GameConfig } from './game.config.js';

export function createGameApp(
  config: GameConfig,
  logger?: false | LogLevel[],
): Promise<INestApplication> {
  return NestFactory.create(GameAppModule.forRoot(config), logger === undefined ? {} : { logger });
}
