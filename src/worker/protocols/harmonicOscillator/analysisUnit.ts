import type { UnitContext } from '../../protocol.js';
import { parentFilePath } from './parentFiles.js';
import { SAMPLES_FILE, readSamples } from './sampleFiles.js';
import { exactDeltaF, lambdaSchedule, springConstantAt, type HarmonicSettings } from './settings.js';
import { sampleUnitKey, samplesFileOf, type AnalysisInputs } from './unitInputs.js';
import { barAcrossWindows, type PairEstimate } from './windowChain.js';

export interface AnalysisOutputs {
  /** The DAG's answer by the dagkeeper convention (docs/estimates.md): deltaF ± sigma. */
  estimate: { value: number; uncertainty: number; unit: string };
  /** F1 − F0 in energy units, summed over adjacent windows. */
  deltaF: number;
  /** Standard error of deltaF, counting the chains' time correlation and that neighbouring pairs share a window. */
  sigma: number;
  /** The pairs' errors in quadrature, as if independent: reported for comparison; it runs low. */
  sigmaQuadrature: number;
  exact: number;
  windows: PairEstimate[];
  /** Samples analysed per window, the parent's included. */
  samplesPerWindow: number[];
  /** Statistical inefficiency g of each window's contribution to the error. */
  statisticalInefficiency: number[];
  /** Samples per window divided by g: roughly how many independent samples the error bar rests on. */
  effectiveSamples: number[];
}

/**
 * BAR between each pair of adjacent windows, on every sample of each window's chain (the parent's
 * samples first, then this task's: together one continuous chain).
 */
export async function runAnalysisUnit(context: UnitContext, inputs: AnalysisInputs, settings: HarmonicSettings): Promise<AnalysisOutputs> {
  const lambdas = lambdaSchedule(settings);
  const chains = await Promise.all(lambdas.map((_, window) => readChain(context, inputs, window)));
  const wells = lambdas.map((lambda, window) => ({ k: springConstantAt(settings, lambda), samples: chains[window] }));
  const estimate = barAcrossWindows(wells, settings.kT);
  return {
    estimate: { value: estimate.deltaF, uncertainty: estimate.sigma, unit: energyUnit(settings.kT) },
    deltaF: estimate.deltaF,
    sigma: estimate.sigma,
    sigmaQuadrature: estimate.sigmaQuadrature,
    exact: exactDeltaF(settings),
    windows: estimate.pairs,
    samplesPerWindow: chains.map((chain) => chain.length),
    statisticalInefficiency: estimate.statisticalInefficiency,
    effectiveSamples: chains.map((chain, window) => Math.round(chain.length / estimate.statisticalInefficiency[window])),
  };
}

/**
 * Energies come out in whatever unit kT is given in, which the settings do not name: with kT = 1 that
 * is kT itself; otherwise the label says which kT, so results at different temperatures never combine.
 */
export function energyUnit(kT: number): string {
  return kT === 1 ? 'kT' : `units where kT=${kT}`;
}

async function readChain(context: UnitContext, inputs: AnalysisInputs, window: number): Promise<Float64Array> {
  const unitKey = sampleUnitKey(window);
  const ownPath = context.dependencies[unitKey]?.files[SAMPLES_FILE];
  if (ownPath === undefined) throw new Error(`the analysis needs ${unitKey}'s ${SAMPLES_FILE}, which was not provided`);
  const own = await readSamples(ownPath);
  const parentPath = parentFilePath(context, inputs.parentFiles, samplesFileOf(window));
  if (parentPath === null) return own;
  const parent = await readSamples(parentPath);
  const pooled = new Float64Array(parent.length + own.length);
  pooled.set(parent, 0);
  pooled.set(own, parent.length);
  return pooled;
}
