import type { Clock } from '@tokenfence/revocation-guard';

export type { Clock };

/** Injection token of the auth service's one time source ({@link Clock}). */
export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { nowMs: () => Date.now() };

/** The clock's time in whole seconds, as JWT `iat`/`exp` and revocation cutoffs count it. */
export const epochSeconds = (clock: Clock): number => Math.floor(clock.nowMs() / 1000);
