import { bar, spread, type BarSolution } from './bar.js';
import { statisticalInefficiency } from './timeseries.js';

/**
 * Free energy along a chain of harmonic wells (λ windows) from BAR between neighbours, with an error
 * bar that is honest about two kinds of correlation:
 * - in time: each window's samples come from a Markov chain, so the variance of any average over them
 *   is g·var/N, g being the statistical inefficiency of the averaged quantity, not var/N;
 * - between pairs: every inner window's samples serve two estimates (the reverse side of the pair
 *   before it, the forward side of the pair after it), and those estimates err together.
 * Both follow from the delta method that gives the BAR error formula itself: to first order, Δf moves
 * by −(mean − 1) of the forward influences and +(mean − 1) of the reverse ones (see bar.ts). Summed
 * over pairs, window i contributes the mean of u_i = reverse influence (pair before) − forward influence
 * (pair after), so var(ΔF) = Σ_i g(u_i)·var(u_i)/N_i. For one pair, with g = 1, this is
 * exactly the BAR formula. All samples are used; none are thrown away by subsampling.
 */

export interface WellSamples {
  /** Spring constant of the well the samples were drawn in. */
  k: number;
  /** Configurations x from that well's Boltzmann distribution, in the order the chain visited them. */
  samples: Float64Array;
}

export interface PairEstimate {
  from: number;
  to: number;
  /** F_to − F_from, in energy units (those of kT). */
  deltaF: number;
  /** Its standard error on its own (time correlation included). */
  sigma: number;
}

export interface ChainEstimate {
  /** F_last − F_first, in energy units: the sum over neighbouring pairs. */
  deltaF: number;
  /** Standard error of that sum, counting time correlation and the covariance of pairs sharing a window. */
  sigma: number;
  /** The pairs' errors added in quadrature, as if they were independent: it understates the error. */
  sigmaQuadrature: number;
  pairs: PairEstimate[];
  /** Per window: the statistical inefficiency of its contribution u_i (1 for uncorrelated samples). */
  statisticalInefficiency: number[];
}

/** BAR between two harmonic wells U = k x²/2 at temperature kT (reduced solution, with influences). */
export function barBetweenWells(from: WellSamples, to: WellSamples, kT: number): BarSolution {
  const halfBetaDeltaK = (to.k - from.k) / (2 * kT);
  const forward = from.samples.map((x) => halfBetaDeltaK * x * x);
  const reverse = to.samples.map((x) => -halfBetaDeltaK * x * x);
  return bar(forward, reverse);
}

export function barAcrossWindows(wells: readonly WellSamples[], kT: number): ChainEstimate {
  if (wells.length < 2) throw new Error('a chain of windows needs at least two wells');
  const solutions = wells.slice(1).map((to, index) => barBetweenWells(wells[index], to, kT));
  const pairs = solutions.map((solution, index): PairEstimate => {
    const forward = varianceOfMean(solution.forwardInfluence);
    const reverse = varianceOfMean(solution.reverseInfluence);
    const variance = forward.variance + reverse.variance;
    return { from: index, to: index + 1, deltaF: kT * solution.deltaF, sigma: kT * Math.sqrt(variance) };
  });
  const contributions = wells.map((well, window) => {
    const asReverse = solutions[window - 1]?.reverseInfluence;
    const asForward = solutions[window]?.forwardInfluence;
    return varianceOfMean(well.samples.map((_, n) => (asReverse?.[n] ?? 0) - (asForward?.[n] ?? 0)));
  });
  return {
    deltaF: pairs.reduce((sum, pair) => sum + pair.deltaF, 0),
    sigma: kT * Math.sqrt(contributions.reduce((sum, contribution) => sum + contribution.variance, 0)),
    sigmaQuadrature: Math.sqrt(pairs.reduce((sum, pair) => sum + pair.sigma * pair.sigma, 0)),
    pairs,
    statisticalInefficiency: contributions.map((contribution) => contribution.inefficiency),
  };
}

/** Variance of the mean of a correlated series, g·var/N; a constant series has none (and g = 1). */
function varianceOfMean(series: Float64Array): { variance: number; inefficiency: number } {
  const variance = spread(series);
  if (variance === 0 || series.length < 2) return { variance: variance / series.length, inefficiency: 1 };
  const inefficiency = statisticalInefficiency(series);
  return { variance: (inefficiency * variance) / series.length, inefficiency };
}
