import type { Clock } from '../../src/domain/Clock.js';

/** A clock that moves only when the test moves it. */
export class ManualClock implements Clock {
  constructor(private ms = Date.now()) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
