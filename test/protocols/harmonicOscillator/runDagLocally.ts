import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { topologicalOrder } from '../../../src/domain/dag/protocolDag.js';
import type { ParentResult, Protocol, TransformationInfo, UnitResultView } from '../../../src/worker/protocol.js';

/**
 * Runs a protocol's DAG in this process the way a worker would: units in dependency order, each with
 * its own output and scratch folders under `root`, its dependencies' outputs and files, and the parent
 * files it asked for, "downloaded" by pointing at the parent run's folders.
 */

export interface LocalRun {
  parent: ParentResult;
  /** unit key → its result as a dependent unit sees it. */
  units: Record<string, UnitResultView>;
}

export async function runDagLocally(
  protocol: Protocol,
  transformation: TransformationInfo,
  root: string,
  extending: LocalRun | null = null,
  task: { seed: number } = { seed: 7 },
): Promise<LocalRun> {
  const dag = protocol.createDag(transformation, extending?.parent ?? null, task);
  const units: Record<string, UnitResultView> = {};
  const sharedDir = join(root, 'shared');
  await mkdir(sharedDir, { recursive: true });
  for (const key of topologicalOrder(dag)) {
    const unit = dag.units.find((candidate) => candidate.key === key);
    if (unit === undefined) throw new Error(`no unit ${key}`);
    const outputDir = join(root, key, 'output');
    const scratchDir = join(root, key, 'scratch');
    await mkdir(outputDir, { recursive: true });
    await mkdir(scratchDir, { recursive: true });
    const outputs = await protocol.runUnit({
      unit: { key, name: unit.name, inputs: unit.inputs },
      transformation,
      dependencies: Object.fromEntries(unit.dependencies.map((dependency) => [dependency, units[dependency]])),
      parentFiles: extending === null ? {} : parentFilesFor(unit.inputs, extending),
      parentOutputs: extending?.parent.outputs ?? null,
      scratchDir,
      outputDir,
      sharedDir,
    });
    const names = await readdir(outputDir);
    units[key] = { outputs, files: Object.fromEntries(names.map((name) => [name, join(outputDir, name)])) };
  }
  const files = Object.entries(units).flatMap(([key, view]) => Object.keys(view.files).map((name) => `${key}/${name}`));
  const outputs = Object.fromEntries(Object.entries(units).map(([key, view]) => [key, view.outputs]));
  return { parent: { taskId: `local-${root}`, outputs, files }, units };
}

function parentFilesFor(inputs: unknown, extending: LocalRun): Record<string, string> {
  if (typeof inputs !== 'object' || inputs === null) return {};
  const listed = (inputs as { parentFiles?: unknown }).parentFiles;
  if (!Array.isArray(listed)) return {};
  const paths: Record<string, string> = {};
  for (const name of listed as string[]) {
    const [unitKey, file] = name.split('/');
    const path = extending.units[unitKey]?.files[file];
    if (path !== undefined) paths[name] = path;
  }
  return paths;
}
