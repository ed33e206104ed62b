import { afterAll, beforeAll } from '@jest/globals';
import { TestSystem, type SystemOptions } from './system.js';

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
