/**
 * Where the domain reads the time. The server uses the system clock; a test passes a clock it moves by
 * hand, so that rules about time (expiry, sweeps, reuse windows) are tested by advancing it, not by sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
