import { posix } from 'node:path';
import type { TaskSettings } from '../../config.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { currentClaim } from '../claims/claimFence.js';
import { groupByKey } from '../groupByKey.js';
import type { Principal } from '../principal.js';
import type { StateAccess } from '../state/StateAccess.js';
import { filesByOkResult } from './filesOfOkResults.js';
import { toRecord } from './resultFileRecord.js';
import type { ResultFileRecord } from './resultFileRecord.js';
import { ResultFileUploads } from './ResultFileUploads.js';
import type { UploadSettings, UploadTicket } from './ResultFileUploads.js';

export type { ResultFileRecord } from './resultFileRecord.js';
export type { UploadTicket } from './ResultFileUploads.js';

/**
 * ResultFiles: the worker announces a file (path, size, SHA-256), puts its bytes straight to the object
 * store through presigned URLs, then commits; only verified bytes get a ref (ResultFileUploads.ts).
 * Users list and download.
 */
export class ResultFileService {
  readonly #uploads: ResultFileUploads;

  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly settings: UploadSettings & Pick<TaskSettings, 'downloadUrlSeconds'>,
  ) {
    this.#uploads = new ResultFileUploads(state, objects, settings);
  }

  async createUpload(
    actor: Principal,
    claimToken: string,
    input: { unitKey: string; path: string; size: number; sha256?: string | null | undefined },
  ): Promise<UploadTicket> {
    const claim = await currentClaim(this.state, actor, claimToken, { lock: false });
    return this.#uploads.open(claim, input);
  }

  /** Fresh URLs for an open upload: the part URLs from `firstPartNumber` on (one answer's worth), or its single PUT URL. */
  async continueUpload(actor: Principal, claimToken: string, uploadId: string, firstPartNumber?: number): Promise<UploadTicket> {
    const claim = await currentClaim(this.state, actor, claimToken, { lock: false });
    return this.#uploads.continue(claim, uploadId, firstPartNumber);
  }

  /** Verifies the uploaded bytes against what was announced, then records the ResultFile. */
  async commit(
    actor: Principal,
    claimToken: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }> = [],
    announcedSha256?: string | null,
  ): Promise<ResultFileRecord> {
    const claim = await currentClaim(this.state, actor, claimToken, { lock: false });
    return this.#uploads.commit(actor, claimToken, claim, uploadId, parts, announcedSha256);
  }

  /** Whether a PUT to `key` belongs to an upload still open (asked by the local store's signed-URL route). */
  acceptsBytes(key: string, multipartUploadId?: string): Promise<boolean> {
    return this.#uploads.acceptsBytes(key, multipartUploadId);
  }

  /** With `ok`, only the files that do (or do not) belong to their unit's ok result (see filesOfOkResults.ts). */
  async ofTasks(
    taskIds: readonly string[],
    filter: { unitKey?: string | undefined; ok?: boolean | undefined } = {},
  ): Promise<Map<string, ResultFileRecord[]>> {
    const files = await this.state.resultFiles.ofTasks(taskIds, filter.unitKey);
    if (filter.ok === undefined) return groupByKey(taskIds, files, (file) => file.taskId, toRecord);
    const okResults = await this.state.unitResults.okClaimsOf(taskIds, filter.unitKey);
    return groupByKey(taskIds, filesByOkResult(files, okResults, filter.ok), (file) => file.taskId, toRecord);
  }

  async downloadUrl(file: ResultFileRecord): Promise<string> {
    return this.objects.presignGet(file.objectKey, this.settings.downloadUrlSeconds, { downloadName: posix.basename(file.path) });
  }
}
