import type { RngState, Xoshiro128 } from './random.js';

/** Bound once: inside a vm context (jest's), every lookup of the global `Math` in a hot loop is slow. */
const { exp } = Math;

/**
 * Metropolis Monte Carlo in one harmonic well U(x) = k x²/2 at temperature kT, with uniform
 * proposals x' = x + δ, δ ∈ [−stepSize, stepSize). The loop allocates nothing per step.
 */

export interface MetropolisOptions {
  k: number;
  kT: number;
  startX: number;
  /** Advanced in place; its state afterwards is returned as `rngState`. */
  rng: Xoshiro128;
  /** Half-width of the uniform proposal. */
  stepSize: number;
  steps: number;
  /** One sample is kept after every `interval`-th step, so `floor(steps / interval)` in all. */
  interval: number;
}

export interface MetropolisRun {
  samples: Float64Array;
  finalX: number;
  rngState: RngState;
  /** Accepted moves / steps (0 when no step was taken). */
  acceptance: number;
}

/**
 * Half-width 3·√(kT/k), i.e. three standard deviations of the well's Boltzmann distribution. Measured
 * for this proposal, it accepts about half of the moves and gives the shortest autocorrelation time
 * of x² (≈ 3.7 steps), the observable the free-energy estimate depends on.
 */
export function defaultStepSize(k: number, kT: number): number {
  return 3 * Math.sqrt(kT / k);
}

export function runMetropolis(options: MetropolisOptions): MetropolisRun {
  const { k, kT, rng, stepSize, steps, interval } = options;
  if (!(k > 0 && kT > 0 && stepSize > 0)) throw new Error('Metropolis needs k, kT and stepSize > 0');
  if (!Number.isSafeInteger(steps) || steps < 0 || !Number.isSafeInteger(interval) || interval < 1) {
    throw new Error('Metropolis needs an integer steps ≥ 0 and an integer interval ≥ 1');
  }
  if (!Number.isFinite(options.startX)) throw new Error('Metropolis needs a finite starting x');
  const halfBetaK = k / (2 * kT);
  const samples = new Float64Array(Math.floor(steps / interval));
  let x = options.startX;
  let accepted = 0;
  let kept = 0;
  let untilKeep = interval;
  for (let step = 0; step < steps; step += 1) {
    const proposed = x + stepSize * (2 * rng.nextDouble() - 1);
    const reducedChange = halfBetaK * (proposed * proposed - x * x);
    // Downhill moves are always accepted, without spending a random number on them.
    if (reducedChange <= 0 || rng.nextDouble() < exp(-reducedChange)) {
      x = proposed;
      accepted += 1;
    }
    untilKeep -= 1;
    if (untilKeep === 0) {
      samples[kept] = x;
      kept += 1;
      untilKeep = interval;
    }
  }
  return { samples, finalX: x, rngState: rng.state(), acceptance: steps === 0 ? 0 : accepted / steps };
}
