import type { ProtocolDagSpec, ProtocolUnitSpec } from '../../../domain/dag/protocolDag.js';
import type { DagTask, ParentResult, TransformationInfo } from '../../protocol.js';
import { settingsFromFile } from '../settingsFromFile.js';
import { combineSeeds } from './random.js';
import { lambdaSchedule, parseHarmonicSettings, springConstantAt, type HarmonicSettings } from './settings.js';
import {
  ANALYSIS_UNIT,
  SETUP_UNIT,
  finalStateFileOf,
  sampleUnitKey,
  samplesFileOf,
  type AnalysisInputs,
  type SampleInputs,
  type SetupInputs,
} from './unitInputs.js';

/**
 * The DAG: `setup` checks the settings once, before any sampling; `sample-<i>` runs one chain per λ
 * window; `analysis` joins the windows with BAR. When the task extends a parent, each sample unit
 * continues that window's chain from its final state and the analysis pools the parent's samples.
 * Fresh chains are seeded from the task's seed and the settings' seed together, so every task of a
 * transformation samples independently; an extension continues its parent's random streams (each
 * window's state is saved with its final configuration), so it samples the same chain for longer.
 */
export function createHarmonicDag(transformation: TransformationInfo, parent: ParentResult | null, task: DagTask): ProtocolDagSpec {
  const settings = parseHarmonicSettings(settingsFromFile(transformation.settings));
  const seed = combineSeeds(task.seed, settings.seed);
  if (parent !== null) assertParentMatches(parent, settings);
  const windows = lambdaSchedule(settings).map((lambda, window) => ({ window, lambda }));
  const setup: ProtocolUnitSpec = {
    key: SETUP_UNIT,
    name: 'validate settings',
    dependencies: [],
    inputs: { kind: 'setup', settings: transformation.settings } satisfies SetupInputs,
  };
  const samples = windows.map(({ window, lambda }): ProtocolUnitSpec => {
    const inputs: SampleInputs = { kind: 'sample', window, lambda, k: springConstantAt(settings, lambda), seed };
    if (parent !== null) inputs.parentFiles = [finalStateFileOf(window)];
    return { key: sampleUnitKey(window), name: `sample λ=${formatLambda(lambda)}`, dependencies: [SETUP_UNIT], inputs };
  });
  const analysisInputs: AnalysisInputs = { kind: 'analysis' };
  if (parent !== null) analysisInputs.parentFiles = windows.map(({ window }) => samplesFileOf(window));
  const analysis: ProtocolUnitSpec = {
    key: ANALYSIS_UNIT,
    name: 'BAR analysis',
    dependencies: samples.map((unit) => unit.key),
    inputs: analysisInputs,
  };
  return { name: `harmonic-oscillator ${transformation.name}`, units: [setup, ...samples, analysis] };
}

/**
 * Continuing a chain or pooling samples is only sound when the parent sampled the same wells at the
 * same temperature, window for window; anything else is refused here, before any work is planned.
 */
function assertParentMatches(parent: ParentResult, settings: HarmonicSettings): void {
  const refuse = (why: string): never => {
    throw new Error(`cannot extend task ${parent.taskId} with harmonic-oscillator: ${why}`);
  };
  const parentWindows = new Set<number>();
  for (const name of [...Object.keys(parent.outputs), ...parent.files.map((file) => file.split('/')[0])]) {
    const match = /^sample-(\d+)$/.exec(name);
    if (match !== null) parentWindows.add(Number(match[1]));
  }
  const expected = lambdaSchedule(settings).map((_, window) => window);
  if (parentWindows.size !== settings.windows || !expected.every((window) => parentWindows.has(window))) {
    const found = [...parentWindows].sort((a, b) => a - b).map(sampleUnitKey);
    refuse(
      `its result has ${parentWindows.size} sample windows (${found.join(', ') || 'none'}) ` +
        `but this transformation has ${settings.windows} (sample-0 … sample-${settings.windows - 1})`,
    );
  }
  const files = new Set(parent.files);
  const needed = expected.flatMap((window) => [finalStateFileOf(window), samplesFileOf(window)]);
  const missing = needed.filter((file) => !files.has(file));
  if (missing.length > 0) refuse(`its result lacks the files ${missing.join(', ')}`);
  const parentSettings = readParentSettings(parent.outputs[SETUP_UNIT], refuse);
  for (const field of ['k0', 'k1', 'kT', 'windows'] as const) {
    if (parentSettings[field] !== settings[field]) {
      refuse(`it used ${field} = ${parentSettings[field]} but this transformation has ${field} = ${settings[field]}`);
    }
  }
}

function readParentSettings(setupOutputs: unknown, refuse: (why: string) => never): HarmonicSettings {
  const recorded = typeof setupOutputs === 'object' && setupOutputs !== null ? setupOutputs : {};
  const settings = (recorded as Record<string, unknown>).settings;
  try {
    return parseHarmonicSettings(settings);
  } catch (error) {
    return refuse(`its setup unit did not record valid harmonic-oscillator settings (${(error as Error).message})`);
  }
}

function formatLambda(lambda: number): string {
  return Number(lambda.toFixed(4)).toString();
}
