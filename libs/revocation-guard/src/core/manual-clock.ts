import type { Clock } from './clock.js';

/** A clock moved by hand, for tests: milliseconds, or whole seconds as JWTs count time. */
export class ManualClock implements Clock {
  constructor(private ms = 0) {}

  static fromSeconds(seconds: number): ManualClock {
    return new ManualClock(seconds * 1000);
  }

  nowMs(): number {
    return this.ms;
  }

  set(ms: number): void {
    this.ms = ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }

  get seconds(): number {
    return this.ms / 1000;
  }

  set seconds(value: number) {
    this.ms = value * 1000;
  }
}
