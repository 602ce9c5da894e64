import { randomUUID } from 'node:crypto';
import { recordEstimateChanges } from '../estimates/EstimateService.js';
import type { TaskEventBatch } from '../events/taskEvents.js';
import { dagResultKey, resultFileKey } from '../objects/objectKeys.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { formatScope } from '../scope.js';
import type { StateRepositories } from '../state/StateAccess.js';
import type { TaskRecord } from '../tasks/taskRecords.js';
import type { CheckedTask } from './checkArchivedTask.js';
import type { FileToImport } from './filesToImport.js';
import { dagBuildFailureDocument, dagResultDocument } from '../results/dagResultDocument.js';
import type { ResultFileRef, UnitResultRef } from '../results/dagResultDocument.js';
import { unitResultDocument } from '../results/unitResultDocument.js';
import { documentText, placeDocument } from '../results/placedText.js';
import { placedUnitResultRow } from '../results/placedUnitResult.js';

/** A unit result the import stored, with its document's content. */
export interface StoredUnitResult extends UnitResultRef {
  content: Record<string, unknown>;
}

/**
 * What an import stores for the task it made, inside its transaction, as a worker's writes would have
 * stored it: unit results and logs, files (moved from their verified uploads), ProtocolDAGResults.
 * Each names the claim of its attempt (`claimOf`).
 */

/** The results, in the order a worker would have sent them: attempt by attempt, each as its unit ended. */
export async function storeUnitResults(
  tx: StateRepositories,
  objects: ObjectStore,
  events: TaskEventBatch,
  task: TaskRecord,
  checked: CheckedTask,
  claimOf: (attempt: number) => string,
): Promise<StoredUnitResult[]> {
  const scope = formatScope(task.scope);
  const stored: StoredUnitResult[] = [];
  const ordered = [...checked.unitResults].sort((a, b) => a.attempt - b.attempt || a.ended.getTime() - b.ended.getTime());
  for (const result of ordered) {
    const unit = checked.units.get(result.unitKey) ?? fail(`no unit ${result.unitKey}`);
    const document = unitResultDocument({
      taskId: task.id,
      unit,
      attempt: result.attempt,
      ok: result.ok,
      outputs: result.outputs,
      exception: result.exception,
      traceback: result.traceback,
      startedAt: result.started,
      endedAt: result.ended,
    });
    const claimId = claimOf(result.attempt);
    const row = await tx.unitResults.create(
      await placedUnitResultRow(objects, {
        ...result,
        scope,
        taskId: task.id,
        unitKey: unit.key,
        startedAt: result.started,
        endedAt: result.ended,
        claimId,
        document: documentText(document),
      }),
    );
    events.add(task.id, { kind: 'UnitResultRecorded', unitResultId: row.id, unitKey: unit.key, ok: result.ok, attempt: result.attempt });
    const { objectKey, document: inline, sha256 } = row;
    stored.push({
      id: row.id,
      attempt: result.attempt,
      ok: result.ok,
      unitKey: unit.key,
      objectKey,
      document: inline,
      sha256,
      claimId,
      content: document,
    });
  }
  return stored;
}

/** Moves each verified upload under the task, where a worker's committed file would be. */
export async function storeFiles(
  tx: StateRepositories,
  objects: ObjectStore,
  events: TaskEventBatch,
  task: TaskRecord,
  files: readonly FileToImport[],
  claimOf: (attempt: number) => string,
): Promise<ResultFileRef[]> {
  const stored: ResultFileRef[] = [];
  for (const file of files) {
    const objectKey = resultFileKey(formatScope(task.scope), task.id, file.unitKey, file.upload.id, file.path);
    await objects.move(file.upload.objectKey, objectKey);
    const claimId = claimOf(file.attempt);
    const row = await tx.resultFiles.record({
      taskId: task.id,
      unitKey: file.unitKey,
      path: file.path,
      size: file.size,
      sha256: file.sha256,
      objectKey,
      claimId,
    });
    events.add(task.id, {
      kind: 'ResultFileAvailable',
      resultFileId: row.id,
      unitKey: row.unitKey,
      path: row.path,
      size: row.size,
      sha256: row.sha256,
      objectKey: row.objectKey,
      committedAt: row.committedAt.toISOString(),
    });
    stored.push({ unitKey: file.unitKey, path: file.path, size: file.size, sha256: file.sha256, objectKey, claimId });
  }
  return stored.sort((a, b) => a.unitKey.localeCompare(b.unitKey) || a.path.localeCompare(b.path));
}

/** Each ProtocolDAGResult, its document written afresh from the imported results, oldest first. */
export async function storeDagResults(
  tx: StateRepositories,
  objects: ObjectStore,
  events: TaskEventBatch,
  task: TaskRecord,
  checked: CheckedTask,
  dag: { objectKey: string; sha256: string } | null,
  results: readonly StoredUnitResult[],
  files: readonly ResultFileRef[],
  claimOf: (attempt: number) => string,
  computeServiceId: string,
): Promise<void> {
  const units = [...checked.units.values()];
  for (const result of [...checked.dagResults].sort((a, b) => a.created.getTime() - b.created.getTime())) {
    const id = randomUUID();
    const buildFailure = result.exception !== null && result.exception !== undefined;
    const document =
      buildFailure || dag === null
        ? dagBuildFailureDocument({
            id,
            taskId: task.id,
            attempt: result.attempt,
            exception: result.exception ?? '',
            traceback: result.traceback ?? '',
            createdAt: result.documentCreated,
          })
        : await dagResultDocument({
            id,
            taskId: task.id,
            ok: result.ok,
            attempt: result.attempt,
            seed: task.seed,
            dag,
            units,
            results,
            documentOf: (stored) => stored.content,
            files,
            createdAt: result.documentCreated,
          });
    const estimate = 'estimate' in document ? document.estimate : null;
    const placed = await placeDocument(objects, dagResultKey(formatScope(task.scope), task.id, id), documentText(document));
    await tx.dagResults.create({
      id,
      taskId: task.id,
      ok: result.ok,
      ...placed,
      claimId: claimOf(result.attempt),
      computeServiceId,
      ...(buildFailure ? { exception: result.exception ?? '', traceback: result.traceback ?? '' } : {}),
      estimate,
      createdAt: result.created,
    });
    events.add(task.id, { kind: 'ProtocolDagResultRecorded', dagResultId: id, ok: result.ok });
  }
  // An imported COMPLETE task with an estimate changes its transformation's, as finishing it here would.
  if (checked.status === 'COMPLETE') await recordEstimateChanges(tx, events, [task.id]);
}

function fail(message: string): never {
  throw new Error(message);
}
