import { Module, type DynamicModule } from '@nestjs/common';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
import {
  createServiceRegistry,
  METRICS_REGISTRY,
  serviceMetricsModule,
} from '@tokenfence/service-kit';
import type { Registry } from 'prom-client';
import { GAME_CONFIG, type GameConfig } from './game.config.js';
import { GameGateway } from './game.gateway.js';
import { PlayerController } from './player.controller.js';
import { ReadinessController } from './readiness.controller.js';

/** Shows `forRootAsync`: the guard's options come from a provider, here the loaded config. */
@Module({})
export class GameAppModule {
  static forRoot(config: GameConfig): DynamicModule {
    const configModule: DynamicModule = {
      module: class GameConfigModule {},
      providers: [{ provide: GAME_CONFIG, useValue: config }],
      exports: [GAME_CONFIG],
    };
    // One registry for /metrics: the process defaults and the guard's metrics.
    const metrics = serviceMetricsModule(createServiceRegistry(), config.metricsBearerToken);
    return {
      module: GameAppModule,
      imports: [
        metrics,
        RevocationGuardModule.forRootAsync({
          imports: [configModule, metrics],
          inject: [GAME_CONFIG, METRICS_REGISTRY],
          useFactory: (game: GameConfig, registry: Registry) => ({
            ...game.guard,
            metrics: { registry },
          }),
        }),
      ],
      controllers: [PlayerController, ReadinessController],
      providers: [GameGateway],
    };
  }
}
