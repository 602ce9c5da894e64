import { AwakeTime } from '../../src/domain/compute/AwakeTime.js';
import { ManualClock } from '../support/manualClock.js';

/**
 * Silence is counted only over time the replica was awake: a stall (a gap between two looks at the
 * clock longer than stallMs) does not count. Time is moved by hand; a running replica looks every tick.
 */

const tickMs = 250;
const stallMs = 1_000;
const expiryMs = 20_000;

function replica() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const stalls: number[] = [];
  const awake = new AwakeTime(clock, { tickMs, stallMs, onStall: (stall) => stalls.push(stall.ms) });
  const watching = awake.start();
  /** The replica runs for `ms`, looking at the clock every tick. */
  const run = (ms: number) => {
    for (let left = ms; left > 0; left -= tickMs) {
      clock.advance(Math.min(tickMs, left));
      awake.look();
    }
  };
  /** The replica is stopped for `ms`, then resumes: its overdue tick looks at once. */
  const pause = (ms: number) => {
    clock.advance(ms);
    awake.look();
  };
  return { clock, awake, stalls, run, pause, stop: () => watching.stop() };
}

test('without stalls, the expiry period of awake time ago is the expiry period ago', () => {
  const r = replica();
  r.run(60_000);
  expect(r.awake.before(expiryMs).getTime()).toBe(r.clock.now() - expiryMs);
  expect(r.stalls).toEqual([]);
  r.stop();
});

test('a 30 s pause is not counted: right after it, only what was silent 20 s before the pause is', () => {
  const r = replica();
  r.run(10_000);
  const pausedAt = r.clock.now();
  r.pause(30_000);
  expect(r.awake.before(expiryMs).getTime()).toBe(pausedAt - expiryMs);
  expect(r.stalls).toEqual([30_000]);
  // Awake again, silence counts again: 5 s later the window reaches 5 s further.
  r.run(5_000);
  expect(r.awake.before(expiryMs).getTime()).toBe(pausedAt - expiryMs + 5_000);
  // Once a whole expiry period has passed awake, the pause is behind the window.
  r.run(expiryMs);
  expect(r.awake.before(expiryMs).getTime()).toBe(r.clock.now() - expiryMs);
  r.stop();
});

test('several stalls inside the window are all left out of it', () => {
  const r = replica();
  r.run(30_000);
  r.pause(4_000);
  r.run(6_000);
  r.pause(2_000);
  r.run(4_000);
  // 20 s of awake time back from now: 4 s, (2 s stalled), 6 s, (4 s stalled), then 10 s more.
  expect(r.awake.before(expiryMs).getTime()).toBe(r.clock.now() - (20_000 + 2_000 + 4_000));
  expect(r.stalls).toEqual([4_000, 2_000]);
  r.stop();
});

test('timer lateness up to stallMs is not a stall, and a stall noticed at a use counts the same as one noticed by the tick', () => {
  const r = replica();
  r.run(30_000);
  r.clock.advance(stallMs);
  r.awake.look();
  expect(r.awake.before(expiryMs).getTime()).toBe(r.clock.now() - expiryMs);
  const pausedAt = r.clock.now();
  r.clock.advance(25_000);
  // No tick yet: the expiry sweep itself is the first to look.
  expect(r.awake.before(expiryMs).getTime()).toBe(pausedAt - expiryMs);
  expect(r.stalls).toEqual([25_000]);
  r.stop();
});

test('before start() (no server loop), gaps between uses are not taken for stalls', () => {
  const clock = new ManualClock();
  const awake = new AwakeTime(clock, { tickMs, stallMs });
  clock.advance(60_000);
  expect(awake.before(expiryMs).getTime()).toBe(clock.now() - expiryMs);
  clock.advance(60_000);
  expect(awake.before(expiryMs).getTime()).toBe(clock.now() - expiryMs);
});

test('a clock set back is not a stall', () => {
  const r = replica();
  r.run(30_000);
  r.clock.advance(-10_000);
  r.run(1_000);
  expect(r.stalls).toEqual([]);
  expect(r.awake.before(expiryMs).getTime()).toBe(r.clock.now() - expiryMs);
  r.stop();
});
