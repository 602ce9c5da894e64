/**
 * Bennett's acceptance ratio between two states from samples of each (Bennett 1976; Shirts, Bair,
 * Hooker & Pande 2003). Works are reduced (in units of kT): w_F = β(U_1 − U_0) on samples of state 0,
 * w_R = β(U_0 − U_1) on samples of state 1. Everything runs in log space, so a poor overlap gives a
 * wide error bar rather than an overflow. `sigma` assumes independent samples; for Markov chain
 * samples, windowChain.ts builds the error from the influences instead.
 */

/** Bound once: inside a vm context (jest's), every lookup of the global `Math` in a hot loop is slow. */
const { exp, log, log1p } = Math;

export interface BarSolution {
  /** Reduced free-energy difference Δf = β(F_1 − F_0). */
  deltaF: number;
  /** Its asymptotic standard error. */
  sigma: number;
  /**
   * How each forward sample moves the estimate: f_F(w_n)/⟨f_F⟩, with f_F = f(w_F + M − Δf). To first
   * order Δf shifts by −(mean − 1) of these and +(mean − 1) of `reverseInfluence`, so a sample shared
   * with another estimate carries their covariance (see windowChain.ts).
   */
  forwardInfluence: Float64Array;
  /** f_R(w_n)/⟨f_R⟩ for each reverse sample, with f_R = f(w_R − M + Δf). */
  reverseInfluence: Float64Array;
}

/** The BAR estimate, its standard error and each sample's influence, from forward and reverse reduced works. */
export function bar(forward: Float64Array, reverse: Float64Array): BarSolution {
  if (forward.length === 0 || reverse.length === 0) {
    throw new Error('BAR needs at least one forward and one reverse work');
  }
  if (!allFinite(forward) || !allFinite(reverse)) throw new Error('BAR needs finite works');
  const M = log(forward.length / reverse.length);
  const deltaF = solveBar(forward, reverse, M);
  const forwardInfluence = influence(forward, M - deltaF);
  const reverseInfluence = influence(reverse, deltaF - M);
  // Shirts et al. 2003 (pymbar's uncertainty_method="BAR"): ⟨f_F²⟩/⟨f_F⟩²/N_F + ⟨f_R²⟩/⟨f_R⟩²/N_R
  // − 1/N_F − 1/N_R, i.e. the variance of each side's influence over its sample count.
  const variance = spread(forwardInfluence) / forward.length + spread(reverseInfluence) / reverse.length;
  return { deltaF, sigma: Math.sqrt(variance), forwardInfluence, reverseInfluence };
}

const MAX_ITERATIONS = 200;
const TOLERANCE = 1e-12;

/**
 * Bennett's self-consistent condition in pymbar's form, with M = ln(N_F/N_R) and f the Fermi function
 * 1/(1 + eˣ):  ln Σ_F f(w_F + M − Δf) − ln Σ_R f(w_R − M + Δf) = 0.
 * The left side rises strictly with Δf from −∞ to +∞ (with slope ≈ 1 near the root), so it has
 * exactly one root; it is bracketed, then found by the Illinois variant of false position, which
 * cannot leave the bracket.
 */
function solveBar(forward: Float64Array, reverse: Float64Array, M: number): number {
  const mismatch = (deltaF: number): number => logSumFermi(forward, M - deltaF) - logSumFermi(reverse, deltaF - M);
  // By Jensen's inequality the exact Δf lies in [−⟨w_R⟩, ⟨w_F⟩]; the estimate usually does too.
  let low = Math.min(-mean(reverse), mean(forward));
  let high = Math.max(-mean(reverse), mean(forward));
  let atLow = mismatch(low);
  let atHigh = mismatch(high);
  for (let width = Math.max(high - low, 1); atLow > 0; width *= 2) {
    low -= width;
    atLow = mismatch(low);
  }
  for (let width = Math.max(high - low, 1); atHigh < 0; width *= 2) {
    high += width;
    atHigh = mismatch(high);
  }
  let keptSide = 0;
  const converged = (): boolean => high - low <= TOLERANCE * Math.max(1, Math.abs(low));
  for (let iteration = 0; iteration < MAX_ITERATIONS && !converged(); iteration += 1) {
    if (atLow === 0) return low;
    if (atHigh === 0) return high;
    const guess = high - (atHigh * (high - low)) / (atHigh - atLow);
    const middle = guess > low && guess < high ? guess : 0.5 * (low + high);
    const atMiddle = mismatch(middle);
    if (atMiddle < 0) {
      [low, atLow] = [middle, atMiddle];
      if (keptSide === 1) atHigh /= 2; // the high end stayed twice: halve its weight so it moves too
      keptSide = 1;
    } else {
      [high, atHigh] = [middle, atMiddle];
      if (keptSide === -1) atLow /= 2;
      keptSide = -1;
    }
  }
  return 0.5 * (low + high);
}

/** f(w + shift)/⟨f(w + shift)⟩ for each work, computed through logs. */
function influence(works: Float64Array, shift: number): Float64Array {
  const logMean = logSumFermi(works, shift) - log(works.length);
  return works.map((work) => exp(-softplus(work + shift) - logMean));
}

/** Population variance: ⟨v²⟩ − ⟨v⟩², never below 0. */
export function spread(values: Float64Array): number {
  const average = mean(values);
  let sum = 0;
  for (const value of values) sum += (value - average) * (value - average);
  return sum / values.length;
}

/** ln Σ f(w + shift), the Fermi function f(x) = 1/(1 + eˣ) having ln f(x) = −softplus(x). */
function logSumFermi(works: Float64Array, shift: number): number {
  let largest = Number.NEGATIVE_INFINITY;
  for (const work of works) {
    const value = -softplus(work + shift);
    if (value > largest) largest = value;
  }
  let sum = 0;
  for (const work of works) sum += exp(-softplus(work + shift) - largest);
  return largest + log(sum);
}

/** ln(1 + eˣ) without overflow for large x or loss of precision for very negative x. */
function softplus(x: number): number {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

function allFinite(values: Float64Array): boolean {
  for (const value of values) if (!Number.isFinite(value)) return false;
  return true;
}
