import type { ObjectStore } from '../objects/ObjectStore.js';
import { unitLogKey, unitResultKey } from '../objects/objectKeys.js';
import { placeDocument, placeText } from './placedText.js';
import type { NewUnitResult } from './UnitResultRepository.js';

/** A unit result to record, as a worker submitted it or an archive holds it; `scope` is the task's, formatted. */
export interface UnitResultToPlace {
  scope: string;
  taskId: string;
  unitKey: string;
  attempt: number;
  ok: boolean;
  exception?: string | null | undefined;
  traceback?: string | null | undefined;
  startedAt: Date;
  endedAt: Date;
  claimId: string;
  /** The unit result document's canonical text and its SHA-256 (documentText). */
  document: { text: string; sha256: string };
  log?: string | null | undefined;
}

/**
 * The row recording a unit result, its document and log placed (placedText.ts): in the row, or when
 * too big in the object store first. A submission and an import record results alike through this.
 */
export async function placedUnitResultRow(objects: ObjectStore, result: UnitResultToPlace): Promise<NewUnitResult> {
  const { scope, taskId, unitKey, attempt, ok } = result;
  const placed = await placeDocument(objects, unitResultKey(scope, taskId, unitKey, attempt), result.document);
  const log =
    result.log === undefined || result.log === null || result.log === ''
      ? { objectKey: null, inline: null }
      : await placeText(objects, unitLogKey(scope, taskId, unitKey, attempt), result.log, { contentType: 'text/plain; charset=utf-8' });
  return {
    taskId,
    unitKey,
    attempt,
    ok,
    ...placed,
    logKey: log.objectKey,
    log: log.inline,
    exception: ok ? null : (result.exception ?? ''),
    traceback: ok ? null : (result.traceback ?? ''),
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    claimId: result.claimId,
  };
}
