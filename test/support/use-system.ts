import { afterAll, beforeAll } from '@jest/globals';
import { freePort } from './free-port.js';
import { TestSystem, type RunningService, type SystemOptions } from './system.js';

/** A system for the enclosing `describe`: started before its tests, stopped after them. */
export function useSystem(options: SystemOptions): TestSystem {
  const system = new TestSystem(options);
  beforeAll(async () => {
    await system.start();
  }, 120_000);
  afterAll(async () => {
    await system.stop();
  }, 60_000);
  return system;
}

/**
 * A system whose auth service runs as two instances on one database (scale-out), for the
 * enclosing `describe`; `second()` is the other instance.
 */
export function useScaledAuth(options: SystemOptions): {
  system: TestSystem;
  second: () => RunningService;
} {
  const system = new TestSystem(options);
  let second: RunningService | undefined;
  beforeAll(async () => {
    await system.start();
    second = await system.startAuth(await freePort());
  }, 120_000);
  afterAll(async () => {
    await system.stop();
  }, 60_000);
  return {
    system,
    second: () => {
      if (!second) throw new Error('the second auth instance has not started');
      return second;
    },
  };
}
