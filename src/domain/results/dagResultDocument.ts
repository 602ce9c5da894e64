import { estimateOfDag } from '../estimates/dagEstimate.js';
import type { Estimate } from '../estimates/reportedEstimate.js';
import { isFileOfOkResult, okClaimByUnit } from './filesOfOkResults.js';
import type { StoredResultFile } from './ResultFileRepository.js';
import type { UnitResultRecord } from './UnitResultService.js';

/**
 * The document a ProtocolDAGResult's object holds. One builder serves a finishing worker (TaskFinisher,
 * DagBuildFailures) and an import (storeImportedTask), so that readers cannot tell an imported result
 * from one recorded here.
 */

/** A unit result as a ProtocolDAGResult may list it; `claimId` is the attempt that recorded it. */
export type UnitResultRef = Pick<UnitResultRecord, 'id' | 'unitKey' | 'attempt' | 'ok' | 'objectKey' | 'document' | 'sha256' | 'claimId'>;

/** A ResultFile as a ProtocolDAGResult may list it; `claimId` is the attempt that uploaded it. */
export type ResultFileRef = Pick<StoredResultFile, 'unitKey' | 'path' | 'size' | 'sha256' | 'objectKey' | 'claimId'>;

export interface DagResultUnit {
  key: string;
  name: string;
  dependencies: string[];
  /** The unit result's ref and its document; null for a unit that neither succeeded nor failed in the attempt. */
  result: Record<string, unknown> | null;
}

export interface DagResultDocument {
  id: string;
  taskId: string;
  ok: boolean;
  attempt: number;
  seed: number;
  /** The estimate the terminal units' outputs carry, on a successful result only. */
  estimate: Estimate | null;
  dag: { objectKey: string; sha256: string };
  units: DagResultUnit[];
  files: Array<{ unitKey: string; path: string; size: number; sha256: string; objectKey: string }>;
  createdAt: string;
}

/**
 * A ProtocolDAGResult of `attempt`: each unit with its ok result (from that attempt or an earlier one)
 * or else its failure in that attempt, and only the files of the attempts that produced the ok results.
 * An ok result of a later attempt is left out: an imported task's earlier failed attempt must not list
 * it. When a worker finishes, its claim's attempt is the task's latest (a claim's fence is one past the
 * task's), so every ok result counts. `documentOf` gives a chosen result's stored document.
 */
export async function dagResultDocument<R extends UnitResultRef>(input: {
  id: string;
  taskId: string;
  ok: boolean;
  attempt: number;
  seed: number;
  dag: { objectKey: string; sha256: string };
  units: ReadonlyArray<{ key: string; name: string; dependencies: string[] }>;
  results: readonly R[];
  documentOf: (result: R) => Promise<object> | object;
  files: readonly ResultFileRef[];
  createdAt: Date;
}): Promise<DagResultDocument> {
  const okResults = input.results.filter((r) => r.ok && r.attempt <= input.attempt);
  const okByUnit = new Map(okResults.map((r) => [r.unitKey, r]));
  const failedNow = input.results.filter((r) => !r.ok && r.attempt === input.attempt);
  const units = await Promise.all(
    input.units.map(async (unit): Promise<DagResultUnit> => {
      const result = okByUnit.get(unit.key) ?? failedNow.find((r) => r.unitKey === unit.key);
      return {
        key: unit.key,
        name: unit.name,
        dependencies: unit.dependencies,
        result:
          result === undefined
            ? null
            : {
                id: result.id,
                attempt: result.attempt,
                objectKey: result.objectKey,
                sha256: result.sha256,
                ...(await input.documentOf(result)),
              },
      };
    }),
  );
  const estimate = input.ok ? estimateOfDag(units.map((unit) => ({ ...unit, outputs: unit.result?.outputs }))) : null;
  const okClaims = okClaimByUnit(okResults);
  return {
    id: input.id,
    taskId: input.taskId,
    ok: input.ok,
    attempt: input.attempt,
    seed: input.seed,
    estimate,
    dag: input.dag,
    units,
    files: input.files
      .filter((f) => isFileOfOkResult(f, okClaims))
      .map((f) => ({ unitKey: f.unitKey, path: f.path, size: f.size, sha256: f.sha256, objectKey: f.objectKey })),
    createdAt: input.createdAt.toISOString(),
  };
}

export interface DagBuildFailureDocument {
  id: string;
  taskId: string;
  ok: false;
  attempt: number;
  dag: null;
  units: [];
  files: [];
  dagBuildFailure: { exception: string; traceback: string };
  createdAt: string;
}

/** The failed ProtocolDAGResult of an attempt whose ProtocolDAG could not be built: no units, the exception and traceback. */
export function dagBuildFailureDocument(input: {
  id: string;
  taskId: string;
  attempt: number;
  exception: string;
  traceback: string;
  createdAt: Date;
}): DagBuildFailureDocument {
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
