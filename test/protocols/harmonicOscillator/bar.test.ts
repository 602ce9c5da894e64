import { bar } from '../../../src/worker/protocols/harmonicOscillator/bar.js';
import { Xoshiro128 } from '../../../src/worker/protocols/harmonicOscillator/random.js';
import { barAcrossWindows } from '../../../src/worker/protocols/harmonicOscillator/windowChain.js';

/** Independent draws from the Boltzmann distribution of U = k x²/2: x ~ N(0, kT/k). */
function exactSamples(k: number, kT: number, count: number, rng: Xoshiro128): Float64Array {
  const width = Math.sqrt(kT / k);
  return Float64Array.from({ length: count }, () => width * rng.nextNormal());
}

describe('BAR between two harmonic wells', () => {
  const kT = 0.8;
  const kFrom = 1;
  const kTo = 2.5;
  const exact = (kT / 2) * Math.log(kTo / kFrom);

  function estimate(seed: number, countFrom: number, countTo: number) {
    const rng = Xoshiro128.seeded(seed, 0);
    const from = { k: kFrom, samples: exactSamples(kFrom, kT, countFrom, rng) };
    const to = { k: kTo, samples: exactSamples(kTo, kT, countTo, rng) };
    return barAcrossWindows([from, to], kT);
  }

  test('recovers the exact ΔF within 3σ for at least 17 of 20 seeds, with unequal sample counts', () => {
    const estimates = Array.from({ length: 20 }, (_, seed) => estimate(seed, 2_000, 3_000));
    const within = estimates.filter(({ deltaF, sigma }) => Math.abs(deltaF - exact) < 3 * sigma);
    expect(within.length).toBeGreaterThanOrEqual(17);
  });

  test('σ agrees with the scatter of the estimates across seeds', () => {
    const estimates = Array.from({ length: 20 }, (_, seed) => estimate(100 + seed, 2_000, 2_000));
    const mean = estimates.reduce((sum, { deltaF }) => sum + deltaF, 0) / estimates.length;
    const scatter = Math.sqrt(estimates.reduce((sum, { deltaF }) => sum + (deltaF - mean) ** 2, 0) / (estimates.length - 1));
    const typicalSigma = estimates.reduce((sum, { sigma }) => sum + sigma, 0) / estimates.length;
    expect(scatter / typicalSigma).toBeGreaterThan(0.6);
    expect(scatter / typicalSigma).toBeLessThan(1.5);
  });

  test('σ shrinks as 1/√n: four times the samples halve it', () => {
    const seeds = [1, 2, 3, 4, 5];
    const meanSigma = (count: number) => seeds.reduce((sum, seed) => sum + estimate(seed, count, count).sigma, 0) / seeds.length;
    const ratio = meanSigma(1_000) / meanSigma(4_000);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
  });

  test('gives exactly 0 ± 0 between identical wells', () => {
    const rng = Xoshiro128.seeded(3, 0);
    const same = [
      { k: 2, samples: exactSamples(2, kT, 500, rng) },
      { k: 2, samples: exactSamples(2, kT, 700, rng) },
    ];
    const result = barAcrossWindows(same, kT);
    expect(result.deltaF).toBeCloseTo(0, 12);
    expect(result.sigma).toBeCloseTo(0, 6);
  });

  test('stays finite and reports a wide error bar when the wells barely overlap', () => {
    const rng = Xoshiro128.seeded(4, 0);
    const farApart = [
      { k: 1, samples: exactSamples(1, 1, 200, rng) },
      { k: 1e4, samples: exactSamples(1e4, 1, 200, rng) },
    ];
    const poor = barAcrossWindows(farApart, 1);
    expect(Number.isFinite(poor.deltaF)).toBe(true);
    expect(Number.isFinite(poor.sigma)).toBe(true);
    expect(poor.sigma).toBeGreaterThan(estimate(4, 200, 200).sigma);
  });

  test('for a single pair, the chain error is exactly the BAR formula', () => {
    const result = estimate(9, 1_000, 1_500);
    expect(result.sigma).toBeCloseTo(result.sigmaQuadrature, 12);
    expect(result.pairs).toEqual([{ from: 0, to: 1, deltaF: result.deltaF, sigma: result.sigmaQuadrature }]);
  });

  test('refuses empty or non-finite works', () => {
    expect(() => bar(new Float64Array(0), Float64Array.of(1))).toThrow(/at least one forward and one reverse/);
    expect(() => bar(Float64Array.of(Number.NaN), Float64Array.of(1))).toThrow(/finite works/);
  });
});

describe('BAR along a chain of λ windows', () => {
  const kT = 1;
  const springConstants = [1, 1.6, 2.2, 2.8, 3.4, 4];
  const exact = (kT / 2) * Math.log(4);

  function chainEstimate(seed: number) {
    const rng = Xoshiro128.seeded(seed, 1);
    return barAcrossWindows(
      springConstants.map((k) => ({ k, samples: exactSamples(k, kT, 1_000, rng) })),
      kT,
    );
  }

  test('sums the pairs, and its σ matches the scatter across seeds where quadrature runs low', () => {
    const estimates = Array.from({ length: 40 }, (_, seed) => chainEstimate(seed));
    for (const { deltaF, pairs } of estimates) {
      expect(deltaF).toBeCloseTo(
        pairs.reduce((sum, pair) => sum + pair.deltaF, 0),
        12,
      );
    }
    const scatter = Math.sqrt(estimates.reduce((sum, { deltaF }) => sum + (deltaF - exact) ** 2, 0) / estimates.length);
    const typical = (pick: (estimate: (typeof estimates)[number]) => number) =>
      estimates.reduce((sum, estimate) => sum + pick(estimate), 0) / estimates.length;
    expect(scatter / typical((estimate) => estimate.sigma)).toBeGreaterThan(0.7);
    expect(scatter / typical((estimate) => estimate.sigma)).toBeLessThan(1.35);
    // Neighbouring pairs share a window and err together, so independent errors would understate σ.
    expect(typical((estimate) => estimate.sigma)).toBeGreaterThan(1.2 * typical((estimate) => estimate.sigmaQuadrature));
  });
});
