import { Xoshiro128 } from '../../../src/worker/protocols/harmonicOscillator/random.js';
import { statisticalInefficiency } from '../../../src/worker/protocols/harmonicOscillator/timeseries.js';

/** x_t = φ x_{t−1} + noise, whose statistical inefficiency is (1 + φ)/(1 − φ). */
function autoregressive(phi: number, count: number, seed: number): Float64Array {
  const rng = Xoshiro128.seeded(seed, 0);
  const series = new Float64Array(count);
  let x = 0;
  for (let index = 0; index < count; index += 1) {
    x = phi * x + rng.nextNormal();
    series[index] = x;
  }
  return series;
}

describe('statistical inefficiency', () => {
  test('is close to 1 for independent samples', () => {
    expect(statisticalInefficiency(autoregressive(0, 20_000, 1))).toBeLessThan(1.2);
  });

  test('matches (1 + φ)/(1 − φ) for an AR(1) series', () => {
    const phi = 0.8; // g = 9
    expect(statisticalInefficiency(autoregressive(phi, 100_000, 2))).toBeGreaterThan(9 * 0.85);
    expect(statisticalInefficiency(autoregressive(phi, 100_000, 2))).toBeLessThan(9 * 1.15);
  });

  test('refuses a series that never varies', () => {
    expect(() => statisticalInefficiency(new Float64Array(10).fill(1))).toThrow(/do not vary/);
  });
});
