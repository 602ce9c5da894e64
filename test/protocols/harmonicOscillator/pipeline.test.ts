import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateProtocolDag } from '../../../src/domain/dag/protocolDag.js';
import type { ParentResult, TransformationInfo } from '../../../src/worker/protocol.js';
import type { AnalysisOutputs } from '../../../src/worker/protocols/harmonicOscillator/analysisUnit.js';
import harmonicOscillator from '../../../src/worker/protocols/harmonicOscillator/protocol.js';
import type { SampleOutputs } from '../../../src/worker/protocols/harmonicOscillator/sampleUnit.js';
import { combineSeeds } from '../../../src/worker/protocols/harmonicOscillator/random.js';
import { runDagLocally, type LocalRun } from './runDagLocally.js';

function transformation(settings: Record<string, unknown>): TransformationInfo {
  return {
    scopedKey: 'Transformation-0123abcd-acme-demo-wells',
    name: 'k1-to-k4',
    protocol: 'harmonic-oscillator',
    settings,
    stateA: { name: 'soft well', components: { k: settings.k0 } },
    stateB: { name: 'stiff well', components: { k: settings.k1 } },
  };
}

const settings = { k0: 1, k1: 4, kT: 1, windows: 6, samplesPerWindow: 3_000, sampleInterval: 10, seed: 2024 };
const wells = transformation(settings);
const task = { seed: 7 };

describe('the harmonic-oscillator protocol', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dagkeeper-harmonic-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const analysisOf = (run: LocalRun): AnalysisOutputs => run.units.analysis.outputs as AnalysisOutputs;

  test('plans setup, one sample unit per λ window and an analysis that waits for every window', () => {
    const dag = validateProtocolDag(harmonicOscillator.createDag(wells, null, task));
    expect(dag.units.map((unit) => [unit.key, unit.dependencies])).toEqual([
      ['setup', []],
      ...[0, 1, 2, 3, 4, 5].map((window) => [`sample-${window}`, ['setup']]),
      ['analysis', ['sample-0', 'sample-1', 'sample-2', 'sample-3', 'sample-4', 'sample-5']],
    ]);
    expect(dag.units[3].inputs).toEqual({ kind: 'sample', window: 2, lambda: 0.4, k: 2.2, seed: combineSeeds(7, 2024) });
    expect(dag.units[7].inputs).toEqual({ kind: 'analysis' });
  });

  test('estimates ΔF within 3σ of (kT/2)·ln(k1/k0) and writes each window its samples and final state', async () => {
    const run = await runDagLocally(harmonicOscillator, wells, root);
    const result = analysisOf(run);
    expect(result.exact).toBeCloseTo(0.5 * Math.log(4), 14);
    expect(Math.abs(result.deltaF - result.exact)).toBeLessThan(3 * result.sigma);
    expect(result.sigma).toBeGreaterThan(0);
    expect(result.sigma).toBeLessThan(0.05);
    expect(result.windows).toHaveLength(5);
    expect(result.samplesPerWindow).toEqual([3_000, 3_000, 3_000, 3_000, 3_000, 3_000]);
    expect(run.parent.files).toEqual(expect.arrayContaining(['sample-0/samples.f64', 'sample-5/final-state.json']));
    const sample = run.units['sample-3'].outputs as SampleOutputs;
    expect(sample).toMatchObject({ window: 3, samples: 3_000, continued: false });
    expect(sample.acceptance).toBeGreaterThan(0.4);
    expect(sample.acceptance).toBeLessThan(0.6);
  });

  test('the analysis reports its answer as outputs.estimate: ΔF ± σ in kT', async () => {
    const result = analysisOf(await runDagLocally(harmonicOscillator, wells, root));
    expect(result.estimate).toEqual({ value: result.deltaF, uncertainty: result.sigma, unit: 'kT' });
  });

  test('tasks with different seeds sample independently; the same seed reproduces a run exactly', async () => {
    const one = analysisOf(await runDagLocally(harmonicOscillator, wells, join(root, 'one'), null, { seed: 1 }));
    const two = analysisOf(await runDagLocally(harmonicOscillator, wells, join(root, 'two'), null, { seed: 2 }));
    const again = analysisOf(await runDagLocally(harmonicOscillator, wells, join(root, 'again'), null, { seed: 1 }));
    expect(two.deltaF).not.toBe(one.deltaF);
    expect(again).toEqual(one);
    // The settings' seed still counts: the same task seed under another settings seed is another run.
    const reseeded = transformation({ ...settings, seed: 2025 });
    expect(analysisOf(await runDagLocally(harmonicOscillator, reseeded, join(root, 'reseeded'), null, { seed: 1 })).deltaF).not.toBe(
      one.deltaF,
    );
  });

  test('at another temperature the estimate says which kT its energies are in', async () => {
    const warm = transformation({ ...settings, kT: 2.5, samplesPerWindow: 200 });
    expect(analysisOf(await runDagLocally(harmonicOscillator, warm, root)).estimate.unit).toBe('units where kT=2.5');
  });

  test('an extension continues every chain and pools old and new samples: σ shrinks, still within 3σ', async () => {
    const first = await runDagLocally(harmonicOscillator, wells, join(root, 'first'));
    const extension = await runDagLocally(harmonicOscillator, wells, join(root, 'extension'), first);
    const before = analysisOf(first);
    const after = analysisOf(extension);
    expect(after.samplesPerWindow).toEqual([6_000, 6_000, 6_000, 6_000, 6_000, 6_000]);
    expect(after.sigma).toBeLessThan(before.sigma * 0.85);
    expect(Math.abs(after.deltaF - after.exact)).toBeLessThan(3 * after.sigma);
    const continued = extension.units['sample-0'].outputs as SampleOutputs;
    const original = first.units['sample-0'].outputs as SampleOutputs;
    expect(continued.continued).toBe(true);
    expect(continued.stepsDone).toBe(original.stepsDone + 30_000);
  });

  test('an extension pooled with its parent gives exactly the result of one task sampling twice as long', async () => {
    const first = await runDagLocally(harmonicOscillator, wells, join(root, 'first'));
    const extension = await runDagLocally(harmonicOscillator, wells, join(root, 'extension'), first);
    const twiceAsLong = transformation({ ...settings, samplesPerWindow: 6_000 });
    const longer = await runDagLocally(harmonicOscillator, twiceAsLong, join(root, 'longer'));
    expect(analysisOf(extension)).toEqual(analysisOf(longer));
  });

  test('an extension has each sample unit fetch its final state, and the analysis every window’s samples', async () => {
    const first = await runDagLocally(harmonicOscillator, wells, root);
    const dag = harmonicOscillator.createDag(wells, first.parent, task);
    expect(dag.units.find((unit) => unit.key === 'sample-4')?.inputs).toMatchObject({
      parentFiles: ['sample-4/final-state.json'],
    });
    expect(dag.units.find((unit) => unit.key === 'analysis')?.inputs).toEqual({
      kind: 'analysis',
      parentFiles: [0, 1, 2, 3, 4, 5].map((window) => `sample-${window}/samples.f64`),
    });
  });

  describe('refuses to extend a parent whose result does not match', () => {
    let parent: ParentResult;
    beforeAll(async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dagkeeper-harmonic-parent-'));
      try {
        const short = transformation({ ...settings, samplesPerWindow: 100 });
        parent = (await runDagLocally(harmonicOscillator, short, dir)).parent;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test('a different number of windows', () => {
      const more = transformation({ ...settings, windows: 8 });
      expect(() => harmonicOscillator.createDag(more, parent, task)).toThrow(
        /cannot extend task .*: its result has 6 sample windows \(sample-0, .*sample-5\) but this transformation has 8/,
      );
    });

    test('missing files', () => {
      const partial = { ...parent, files: parent.files.filter((file) => file !== 'sample-2/final-state.json') };
      expect(() => harmonicOscillator.createDag(wells, partial, task)).toThrow(/lacks the files sample-2\/final-state\.json/);
    });

    test('another temperature', () => {
      expect(() => harmonicOscillator.createDag(transformation({ ...settings, kT: 2 }), parent, task)).toThrow(
        /it used kT = 1 but this transformation has kT = 2/,
      );
    });

    test('a result of another protocol', () => {
      const foreign: ParentResult = { taskId: 'Task-x', outputs: { simulation: {} }, files: ['simulation/traj.dcd'] };
      expect(() => harmonicOscillator.createDag(wells, foreign, task)).toThrow(/its result has 0 sample windows \(none\)/);
    });
  });

  test('refuses bad settings when planning, before any unit runs', () => {
    expect(() => harmonicOscillator.createDag(transformation({ k0: 1, k1: -4 }), null, task)).toThrow(
      /k1 must be a finite number > 0, got -4/,
    );
  });

  test('a sample unit that asked for its parent state but did not get it fails instead of starting over', async () => {
    await expect(
      harmonicOscillator.runUnit({
        unit: {
          key: 'sample-1',
          name: 'sample',
          inputs: { kind: 'sample', window: 1, lambda: 0.2, k: 1.6, parentFiles: ['sample-1/final-state.json'] },
        },
        transformation: wells,
        dependencies: {},
        parentFiles: {},
        parentOutputs: {},
        scratchDir: root,
        outputDir: root,
        sharedDir: root,
      }),
    ).rejects.toThrow(/needs the parent's file sample-1\/final-state\.json, which was not provided/);
  });
});
