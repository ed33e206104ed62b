import { loadSampleConfig, type SampleConfig } from '@tokenfence/service-kit';

export type GameConfig = SampleConfig;

/** Reads the environment once at start-up (the samples' shared loader); the library never does. */
export function loadGameConfig(env: Record<string, string | undefined> = process.env): GameConfig {
  return loadSampleConfig(env, { name: 'game-service', defaultPort: 3002, metrics: true });
}

/** Injection token of {@link GameConfig}. */
export const GAME_CONFIG = Symbol('GAME_CONFIG');
