import type { Protocol, UnitContext } from '../../protocol.js';
import { runAnalysisUnit } from './analysisUnit.js';
import { createHarmonicDag } from './dag.js';
import { runSampleUnit } from './sampleUnit.js';
import { exactDeltaF, lambdaSchedule, parseHarmonicSettings, springConstantAt } from './settings.js';
import { parseUnitInputs } from './unitInputs.js';
import { settingsFromFile } from '../settingsFromFile.js';

/**
 * harmonic-oscillator: a small, checkable demo protocol. It estimates the relative free energy of
 * 1-D harmonic wells k0 → k1 by Metropolis sampling in λ windows and BAR, and reports the exact
 * answer (kT/2)·ln(k1/k0) beside the estimate. Settings are described in settings.ts.
 */
const harmonicOscillator: Protocol = {
  name: 'harmonic-oscillator',
  checkSettings: parseHarmonicSettings,
  createDag: createHarmonicDag,
  runUnit,
};

export default harmonicOscillator;

/**
 * Every unit reads the transformation's settings itself (they are immutable, being part of the
 * transformation's key); the setup unit runs first so that bad settings fail once, before sampling.
 */
async function runUnit(context: UnitContext): Promise<unknown> {
  const inputs = parseUnitInputs(context.unit.inputs);
  switch (inputs.kind) {
    case 'setup': {
      const settings = parseHarmonicSettings(settingsFromFile(inputs.settings));
      const lambdas = lambdaSchedule(settings);
      return {
        settings,
        lambdas,
        springConstants: lambdas.map((lambda) => springConstantAt(settings, lambda)),
        exactDeltaF: exactDeltaF(settings),
      };
    }
    case 'sample':
      return runSampleUnit(context, inputs, parseHarmonicSettings(settingsFromFile(context.transformation.settings)));
    case 'analysis':
      return runAnalysisUnit(context, inputs, parseHarmonicSettings(settingsFromFile(context.transformation.settings)));
  }
}
