import { join } from 'node:path';
import type { UnitContext } from '../../protocol.js';
import { defaultStepSize, runMetropolis } from './metropolis.js';
import { parentFilePath } from './parentFiles.js';
import { Xoshiro128 } from './random.js';
import { FINAL_STATE_FILE, SAMPLES_FILE, readFinalState, writeFinalState, writeSamples } from './sampleFiles.js';
import { lambdaSchedule, springConstantAt, type HarmonicSettings } from './settings.js';
import { finalStateFileOf, type SampleInputs } from './unitInputs.js';

export interface SampleOutputs {
  window: number;
  k: number;
  acceptance: number;
  /** Samples this unit kept (not counting a parent's). */
  samples: number;
  meanX2: number;
  /** Monte Carlo steps of this window's chain so far, parents' included. */
  stepsDone: number;
  continued: boolean;
}

/**
 * A fresh chain starts at x = 0, the bottom of the well, and these unrecorded steps carry it into
 * typical configurations first: about 250 autocorrelation times of x² at the default step size.
 */
const BURN_IN_STEPS = 1_000;

/** One λ window: continue the parent's chain or start a seeded one, then keep samplesPerWindow samples. */
export async function runSampleUnit(context: UnitContext, inputs: SampleInputs, settings: HarmonicSettings): Promise<SampleOutputs> {
  const { window, k } = inputs;
  if (window >= settings.windows) {
    throw new Error(`window ${window} is outside the ${settings.windows} windows of the settings`);
  }
  // The analysis takes each window's k from the settings, so the samples must come from that well.
  const planned = springConstantAt(settings, lambdaSchedule(settings)[window]);
  if (!sameSpringConstant(k, planned)) {
    throw new Error(`window ${window} should sample k = ${planned}, but its inputs say k = ${k}`);
  }
  const { kT, samplesPerWindow, sampleInterval } = settings;
  const stepSize = defaultStepSize(k, kT);
  const start = await startingPoint(context, inputs, settings, stepSize);
  const steps = samplesPerWindow * sampleInterval;
  const run = runMetropolis({ k, kT, startX: start.x, rng: start.rng, stepSize, steps, interval: sampleInterval });
  const stepsDone = start.stepsDone + steps;
  await writeSamples(join(context.outputDir, SAMPLES_FILE), run.samples);
  const finalState = { x: run.finalX, rng: run.rngState, window, k, stepsDone };
  await writeFinalState(join(context.outputDir, FINAL_STATE_FILE), finalState);
  let sumX2 = 0;
  for (const x of run.samples) sumX2 += x * x;
  return {
    window,
    k,
    acceptance: run.acceptance,
    samples: run.samples.length,
    meanX2: sumX2 / run.samples.length,
    stepsDone,
    continued: start.continued,
  };
}

interface StartingPoint {
  x: number;
  rng: Xoshiro128;
  stepsDone: number;
  continued: boolean;
}

async function startingPoint(
  context: UnitContext,
  inputs: SampleInputs,
  settings: HarmonicSettings,
  stepSize: number,
): Promise<StartingPoint> {
  const parentState = parentFilePath(context, inputs.parentFiles, finalStateFileOf(inputs.window));
  if (parentState !== null) {
    const state = await readFinalState(parentState);
    if (state.window !== inputs.window || !sameSpringConstant(state.k, inputs.k)) {
      throw new Error(
        `the parent's final state is for window ${state.window} (k = ${state.k}), ` +
          `not window ${inputs.window} (k = ${inputs.k}); its chain cannot be continued here`,
      );
    }
    return { x: state.x, rng: Xoshiro128.fromState(state.rng), stepsDone: state.stepsDone, continued: true };
  }
  const rng = Xoshiro128.seeded(inputs.seed ?? settings.seed, inputs.window);
  const { k } = inputs;
  const { kT } = settings;
  const burnIn = runMetropolis({ k, kT, startX: 0, rng, stepSize, steps: BURN_IN_STEPS, interval: BURN_IN_STEPS });
  return { x: burnIn.finalX, rng, stepsDone: BURN_IN_STEPS, continued: false };
}

/** k is recomputed from λ by each task; allow for the last bits of floating-point rounding. */
function sameSpringConstant(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}
