import { defaultStepSize, runMetropolis } from '../../../src/worker/protocols/harmonicOscillator/metropolis.js';
import { Xoshiro128 } from '../../../src/worker/protocols/harmonicOscillator/random.js';
import { statisticalInefficiency } from '../../../src/worker/protocols/harmonicOscillator/timeseries.js';

describe('Metropolis sampling of one harmonic well', () => {
  const k = 2.5;
  const kT = 1.3;

  test('samples ⟨x²⟩ = kT/k within 5 correlation-aware standard errors, accepting about half the moves', () => {
    const run = runMetropolis({
      k,
      kT,
      startX: 0,
      rng: Xoshiro128.seeded(11, 0),
      stepSize: defaultStepSize(k, kT),
      steps: 500_000,
      interval: 10,
    });
    expect(run.samples).toHaveLength(50_000);
    const squares = run.samples.map((x) => x * x);
    const mean = squares.reduce((sum, value) => sum + value, 0) / squares.length;
    const variance = squares.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (squares.length - 1);
    const standardError = Math.sqrt((statisticalInefficiency(squares) * variance) / squares.length);
    expect(Math.abs(mean - kT / k)).toBeLessThan(5 * standardError);
    expect(run.acceptance).toBeGreaterThan(0.4);
    expect(run.acceptance).toBeLessThan(0.6);
  });

  test('a chain stopped and continued from its saved x and RNG state equals the chain run in one go', () => {
    const common = { k, kT, stepSize: defaultStepSize(k, kT), interval: 7 };
    const whole = runMetropolis({ ...common, startX: 0.3, rng: Xoshiro128.seeded(5, 2), steps: 14_000 });
    const first = runMetropolis({ ...common, startX: 0.3, rng: Xoshiro128.seeded(5, 2), steps: 7_000 });
    const saved = JSON.parse(JSON.stringify({ x: first.finalX, rng: first.rngState })) as { x: number; rng: unknown };
    const second = runMetropolis({ ...common, startX: saved.x, rng: Xoshiro128.fromState(saved.rng), steps: 7_000 });
    expect([...first.samples, ...second.samples]).toEqual([...whole.samples]);
    expect(second.finalX).toBe(whole.finalX);
    expect(second.rngState).toEqual(whole.rngState);
  });

  test('refuses a non-positive spring constant or step size', () => {
    const rng = Xoshiro128.seeded(1, 0);
    const common = { kT, startX: 0, rng, steps: 10, interval: 1 };
    expect(() => runMetropolis({ ...common, k: 0, stepSize: 1 })).toThrow(/k, kT and stepSize > 0/);
    expect(() => runMetropolis({ ...common, k, stepSize: -1 })).toThrow(/k, kT and stepSize > 0/);
  });
});
