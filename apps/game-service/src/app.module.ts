import { Module, type DynamicModule } from '@nestjs/common';
import { RevocationGuardModule } from '@tokenfence/revocation-guard';
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
    return {
      module: GameAppModule,
      imports: [
        RevocationGuardModule.forRootAsync({
          imports: [configModule],
          inject: [GAME_CONFIG],
          useFactory: (game: GameConfig) => game.guard,
        }),
      ],
      controllers: [PlayerController, ReadinessController],
      providers: [GameGateway],
    };
  }
}
