import type { Clock } from '../Clock.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import type { Principal } from '../principal.js';
import type { UploadSettings, UploadTicket } from '../results/ResultFileUploads.js';
import type { ListedPart } from '../results/uploadParts.js';
import type { StateAccess } from '../state/StateAccess.js';
import type { TaskRecord } from '../tasks/taskRecords.js';
import { ImportUploads } from './ImportUploads.js';
import { TaskImporter } from './TaskImporter.js';
import type { ImportTaskInput } from './TaskImporter.js';

/**
 * Network import (docs/archive.md): the bytes an archived task brings are uploaded and verified first
 * (ImportUploads), then importTask makes the task from them in one transaction (TaskImporter).
 */
export class ImportService {
  readonly #uploads: ImportUploads;
  readonly #importer: TaskImporter;

  constructor(state: StateAccess, objects: ObjectStore, settings: UploadSettings, clock: Clock) {
    this.#uploads = new ImportUploads(state, objects, settings, clock);
    this.#importer = new TaskImporter(state, objects, this.#uploads, settings, clock);
  }

  openUpload(actor: Principal, scope: string, input: { size: number; sha256: string }): Promise<UploadTicket> {
    return this.#uploads.open(actor, scope, input);
  }

  continueUpload(actor: Principal, uploadId: string, firstPartNumber?: number): Promise<UploadTicket> {
    return this.#uploads.continue(actor, uploadId, firstPartNumber);
  }

  commitUpload(actor: Principal, uploadId: string, parts: readonly ListedPart[]): Promise<string> {
    return this.#uploads.commit(actor, uploadId, parts);
  }

  importTask(actor: Principal, transformationKey: string, input: ImportTaskInput): Promise<{ task: TaskRecord; created: boolean }> {
    return this.#importer.importTask(actor, transformationKey, input);
  }

  /** Whether a PUT to `key` belongs to an import upload still open (the local store's signed-URL route asks). */
  acceptsBytes(key: string, multipartUploadId?: string): Promise<boolean> {
    return this.#uploads.acceptsBytes(key, multipartUploadId);
  }

  /** Removes import uploads whose URLs expired before `cutoff` (what an import never used). */
  sweep(cutoff: Date): Promise<number> {
    return this.#uploads.sweep(cutoff);
  }
}
