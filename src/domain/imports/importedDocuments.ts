import type { Estimate } from '../estimates/reportedEstimate.js';
import type { ProtocolUnitSpec } from '../dag/protocolDag.js';
import type { CheckedUnitResult } from './checkArchivedTask.js';

/**
 * The documents an imported task's objects hold, in the shapes a worker's writes give them
 * (UnitResultService, TaskFinisher, DagBuildFailures), so that readers cannot tell an imported result
 * from one recorded here.
 */

export function unitResultDocument(taskId: string, unit: ProtocolUnitSpec, result: CheckedUnitResult): Record<string, unknown> {
  return {
    taskId,
    unitKey: unit.key,
    unitName: unit.name,
    attempt: result.attempt,
    ok: result.ok,
    ...(result.ok ? { outputs: result.outputs ?? null } : { exception: result.exception ?? '', traceback: result.traceback ?? '' }),
    startedAt: result.started.toISOString(),
    endedAt: result.ended.toISOString(),
  };
}

/** A unit result as a ProtocolDAGResult lists it: its ref and its document. */
export interface StoredUnitResult {
  id: string;
  attempt: number;
  ok: boolean;
  unitKey: string;
  objectKey: string;
  sha256: string;
  document: Record<string, unknown>;
}

export interface StoredFile {
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
  objectKey: string;
  attempt: number;
}

/**
 * A ProtocolDAGResult of `attempt`: each unit with its ok result (from that attempt or an earlier one)
 * or its failure in that attempt, and the files of the attempts that produced the ok results.
 */
export function dagResultDocument(input: {
  id: string;
  taskId: string;
  ok: boolean;
  attempt: number;
  seed: number;
  estimate: Estimate | null;
  dag: { objectKey: string; sha256: string };
  units: readonly ProtocolUnitSpec[];
  results: readonly StoredUnitResult[];
  files: readonly StoredFile[];
  createdAt: Date;
}): Record<string, unknown> {
  const okByUnit = new Map(input.results.filter((r) => r.ok && r.attempt <= input.attempt).map((r) => [r.unitKey, r]));
  const failedNow = input.results.filter((r) => !r.ok && r.attempt === input.attempt);
  return {
    id: input.id,
    taskId: input.taskId,
    ok: input.ok,
    attempt: input.attempt,
    seed: input.seed,
    estimate: input.estimate,
    dag: input.dag,
    units: input.units.map((unit) => {
      const result = okByUnit.get(unit.key) ?? failedNow.find((r) => r.unitKey === unit.key);
      return {
        key: unit.key,
        name: unit.name,
        dependencies: unit.dependencies,
        result:
          result === undefined
            ? null
            : { id: result.id, attempt: result.attempt, objectKey: result.objectKey, sha256: result.sha256, ...result.document },
      };
    }),
    files: input.files
      .filter((f) => okByUnit.get(f.unitKey)?.attempt === f.attempt)
      .map((f) => ({ unitKey: f.unitKey, path: f.path, size: f.size, sha256: f.sha256, objectKey: f.objectKey })),
    createdAt: input.createdAt.toISOString(),
  };
}

/** The failed ProtocolDAGResult of an attempt whose ProtocolDAG could not be built. */
export function dagBuildFailureDocument(input: {
  id: string;
  taskId: string;
  attempt: number;
  exception: string;
  traceback: string;
  createdAt: Date;
}): Record<string, unknown> {
  return {
    id: input.id,
    taskId: input.taskId,
    ok: false,
    attempt: input.attempt,
    dag: null,
    units: [],
    files: [],
    dagBuildFailure: { exception: input.exception, traceback: input.traceback },
    createdAt: input.createdAt.toISOString(),
  };
}
