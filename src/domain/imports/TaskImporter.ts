import type { Clock } from '../Clock.js';
import { validateProtocolDagInSlices } from '../dag/protocolDag.js';
import { serializeProtocolDag, storeNewProtocolDags } from '../dag/storeProtocolDag.js';
import { DomainError, ErrorCode, badInput, notFound } from '../errors.js';
import { taskDagKey } from '../objects/objectKeys.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import type { Principal } from '../principal.js';
import { requireKind, requireScope } from '../principal.js';
import { readJsonObject } from '../results/readJsonObject.js';
import { checkResultFilePath } from '../resultFilePath.js';
import { checkLength, textLimits } from '../textLimits.js';
import { formatScope } from '../scope.js';
import type { Scope } from '../scope.js';
import { parseScopedKey } from '../scopedKey.js';
import type { StateAccess, StateRepositories } from '../state/StateAccess.js';
import type { TaskRecord } from '../tasks/taskRecords.js';
import { parseArchivedTask } from './archivedTask.js';
import type { ArchivedTask } from './archivedTask.js';
import { checkArchivedTask } from './checkArchivedTask.js';
import { filesToImport } from './filesToImport.js';
import type { ImportUploadRecord } from './ImportRepository.js';
import type { ImportUploads } from './ImportUploads.js';
import { storeDagResults, storeFiles, storeUnitResults } from './storeImportedTask.js';

export interface ImportTaskInput {
  documentUploadId: string;
  files: ReadonlyArray<{ unitKey: string; path: string; uploadId: string }>;
}

/** An archived task's document is read whole to be checked: beyond this it is refused. */
export const maxArchivedTaskBytes = 256 * 1024 * 1024;

/**
 * Makes a task of this server from an archived one (docs/archive.md), all or nothing: the task in the
 * status it ended in, its ProtocolDAG, unit results with logs, ResultFiles (bytes verified at upload,
 * moved under the task here) and ProtocolDAGResults, each attempt a claim that has ended. Nothing is
 * trusted that a worker could not have written: the document is checked as workers' writes are, and
 * the ProtocolDAGResult documents are written afresh from the imported results.
 */
export class TaskImporter {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly uploads: ImportUploads,
    private readonly settings: { maxResultFileBytes: number },
    private readonly clock: Clock,
  ) {}

  async importTask(actor: Principal, transformationKey: string, input: ImportTaskInput): Promise<{ task: TaskRecord; created: boolean }> {
    requireKind(actor, 'user');
    const { key, scope } = parseScopedKey(transformationKey, 'Transformation');
    requireScope(actor, scope);
    input.files.forEach((file, i) => {
      checkLength(`files[${i}].unitKey`, file.unitKey, textLimits.unitKey);
      checkResultFilePath(file.path);
    });
    const uploadIds = [input.documentUploadId, ...input.files.map((f) => f.uploadId)];
    if (new Set(uploadIds).size !== uploadIds.length) throw badInput('each import upload may be named once', { field: 'files' });
    const uploads = await this.uploads.committed(actor, uploadIds);
    for (const upload of uploads.values()) {
      if (formatScope(upload.scope) !== formatScope(scope)) {
        throw badInput(`import upload ${upload.id} was opened in scope ${formatScope(upload.scope)}, not the transformation's`, {
          uploadId: upload.id,
        });
      }
    }
    const document = uploads.get(input.documentUploadId) as ImportUploadRecord;
    const archived = await this.readDocument(document);

    const earlier = await this.state.imports.importedTask(scope, archived.id);
    if (earlier !== null)
      return { task: await this.existing(earlier.taskId, earlier.sha256, document, [...uploads.values()]), created: false };

    const dag = archived.dag === null ? null : await validateProtocolDagInSlices(archived.dag);
    const checked = checkArchivedTask(archived, dag, this.settings.maxResultFileBytes);
    const files = filesToImport(archived, input.files, uploads);
    const serializedDag = dag === null ? null : await serializeProtocolDag(dag);

    const made = await this.state.transaction(
      async (tx, events) => {
        const transformation = await tx.networks.findTransformation(scope, key);
        if (transformation === null) throw notFound(`transformation ${transformationKey}`);
        const raced = await tx.imports.importedTask(scope, archived.id);
        if (raced !== null) return { taskId: raced.taskId, created: false };
        const extendsId = await this.extendedTask(tx, scope, archived, transformation.id);
        const [task] = await tx.tasks.create(
          { scope, transformationId: transformation.id, priority: archived.priority, creatorId: actor.identityId, extendsId },
          [archived.seed ?? 0],
        );
        if (task === undefined) throw new Error('creating the imported task returned nothing');
        const fence = Math.max(0, ...checked.attempts.map((a) => a.fence));
        await tx.imports.setImportedState(task.id, checked.status, fence);
        events.add(task.id, {
          kind: 'TaskStatusChanged',
          from: null,
          to: checked.status,
          reason: `imported from archived task ${archived.id}`,
        });

        const now = new Date(this.clock.now());
        const serviceId = await tx.imports.importService(actor.identityId, 'import', now);
        const claims = await tx.imports.createClaims(task.id, serviceId, checked.attempts);
        const claimOf = (attempt: number): string => claims.get(attempt) ?? fail(`no claim for attempt ${attempt}`);
        let dagRef: { objectKey: string; sha256: string } | null = null;
        if (serializedDag !== null) {
          await storeNewProtocolDags(tx, this.objects, [task], serializedDag, actor.identityId);
          dagRef = { objectKey: taskDagKey(formatScope(task.scope), task.id), sha256: serializedDag.sha256 };
        }
        const results = await storeUnitResults(tx, this.objects, events, task, checked, claimOf);
        const storedFiles = await storeFiles(tx, this.objects, events, task, files, claimOf);
        await storeDagResults(tx, this.objects, events, task, checked, dagRef, results, storedFiles, claimOf, serviceId);
        await tx.imports.recordImport({ taskId: task.id, scope, sourceTaskId: archived.id, sha256: document.sha256 });
        await tx.imports.removeUploads(uploadIds);
        return { taskId: task.id, created: true };
      },
      { timeoutMs: 300_000 },
    );
    // The document was read; its bytes are done with whether this import made the task or found it.
    await this.objects.delete(document.objectKey);
    const task = await this.state.tasks.get(made.taskId);
    if (task === null) throw notFound(`task ${made.taskId}`);
    return { task, created: made.created };
  }

  private async readDocument(upload: ImportUploadRecord): Promise<ArchivedTask> {
    if (upload.size > maxArchivedTaskBytes) {
      throw badInput(`an archived task's document is at most ${maxArchivedTaskBytes} bytes; this one has ${upload.size}`, {
        field: 'documentUploadId',
      });
    }
    let parsed: unknown;
    try {
      parsed = await readJsonObject(this.objects, upload.objectKey);
    } catch (error) {
      if (error instanceof SyntaxError)
        throw badInput(`the archived task's document is not JSON: ${error.message}`, { field: 'documentUploadId' });
      throw error;
    }
    return parseArchivedTask(parsed);
  }

  /** Imported before: the same task, unless the archive says something else about it now. */
  private async existing(taskId: string, sha256: string, document: ImportUploadRecord, uploads: ImportUploadRecord[]): Promise<TaskRecord> {
    if (sha256 !== document.sha256) {
      throw new DomainError(ErrorCode.CONFLICT, `the archived task was imported before (task ${taskId}) from a different document`, {
        taskId,
      });
    }
    await this.uploads.discard(uploads);
    const task = await this.state.tasks.get(taskId);
    if (task === null) throw notFound(`task ${taskId}`);
    return task;
  }

  private async extendedTask(
    tx: StateRepositories,
    scope: Scope,
    archived: ArchivedTask,
    transformationId: string,
  ): Promise<string | null> {
    if (archived.extends === null) return null;
    const parent = await tx.imports.importedTask(scope, archived.extends);
    if (parent === null) {
      throw badInput(`the task it extends (archived task ${archived.extends}) is not imported into this scope yet: import it first`, {
        field: 'extends',
      });
    }
    const task = await tx.tasks.get(parent.taskId);
    if (task?.transformationId !== transformationId) throw badInput('a task extends one of its own transformation', { field: 'extends' });
    return parent.taskId;
  }
}

function fail(message: string): never {
  throw new Error(message);
}
