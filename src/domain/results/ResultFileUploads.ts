import { randomUUID } from 'node:crypto';
import type { TaskSettings } from '../../config.js';
import { resultFileKey, resultFileUploadKey, uploadIdInKey } from '../objects/objectKeys.js';
import { ObjectNotFoundError, PartsNotUploadedError } from '../objects/ObjectStore.js';
import type { ObjectStore, StoredObject } from '../objects/ObjectStore.js';
import { currentClaim, staleClaim } from '../claims/claimFence.js';
import type { CurrentClaim } from '../claims/claimFence.js';
import { badInput, conflict, DomainError, ErrorCode, notFound } from '../errors.js';
import { checkId } from '../ids.js';
import type { Principal } from '../principal.js';
import { checkResultFilePath, validateFileSize } from '../resultFilePath.js';
import { formatScope } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import { checkLength, textLimits } from '../textLimits.js';
import { toRecord } from './resultFileRecord.js';
import type { ResultFileRecord } from './resultFileRecord.js';
import type { UploadRecord } from './ResultFileRepository.js';
import { checkListedParts, missingParts, partCountOf, partSizeFor } from './uploadParts.js';
import { checkFirstPartNumber, signUploadTicket } from './uploadTicket.js';
import type { ListedPart } from './uploadParts.js';

export interface UploadTicket {
  uploadId: string;
  /** Single PUT for files up to one part; absent for multipart uploads. */
  url: string | null;
  /** For multipart uploads: PUT part N's bytes to its URL, keep each response's ETag for commit. */
  parts: Array<{ partNumber: number; url: string; offset: number; size: number }>;
  /** Multipart uploads: the size of every part but the last; null for a single PUT. */
  partSize: number | null;
  /** How many parts the upload has (0 for a single PUT); `parts` holds at most one answer's worth. */
  partCount: number;
  expiresAt: Date;
}

export type UploadSettings = Pick<
  TaskSettings,
  'uploadUrlSeconds' | 'multipartPartBytes' | 'maxResultFileBytes' | 'uploadPartUrlsPerAnswer'
>;

const sha256Pattern = /^[0-9a-f]{64}$/;

/**
 * The life of a ResultFile upload: opened with URLs bound to the announced size, continued with more
 * part URLs (or fresh ones), committed once its bytes are verified. Committed bytes live at a key no
 * URL can write (see objects/objectKeys.ts): a single PUT writes its upload's own key and the commit moves the bytes;
 * a multipart upload is assembled at the final key, and completing it ends its part URLs. A commit
 * that lacks parts names them and keeps the upload, so only those parts need sending again.
 */
export class ResultFileUploads {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly settings: UploadSettings,
  ) {}

  async open(
    claim: CurrentClaim,
    input: { unitKey: string; path: string; size: number; sha256?: string | null | undefined },
  ): Promise<UploadTicket> {
    const path = checkResultFilePath(input.path);
    const size = validateFileSize(input.size, this.settings.maxResultFileBytes);
    const sha256 = optionalSha256(input.sha256);
    await this.#requireUnitStillRunnable(claim.taskId, input.unitKey);
    const id = randomUUID();
    const scope = formatScope(claim.scope);
    const objectKey = resultFileKey(scope, claim.taskId, input.unitKey, id, path);
    const expiresAt = this.#urlExpiry();
    const partSize = partSizeFor(size, this.settings.multipartPartBytes);
    const multipart = size > partSize;
    const multipartId = multipart ? await this.objects.createMultipartUpload(objectKey, { partSize }) : null;
    const upload = await this.state.resultFiles.openUpload({
      id,
      taskId: claim.taskId,
      claimId: claim.claimId,
      unitKey: input.unitKey,
      path,
      size,
      sha256,
      objectKey,
      expiresAt,
      uploadId: multipartId,
      partSize: multipart ? partSize : null,
      stagingKey: multipart ? null : resultFileUploadKey(scope, claim.taskId, input.unitKey, id, path),
    });
    return this.#ticket(upload, 1, expiresAt);
  }

  /** Fresh URLs for an open upload: its single PUT URL, or the part URLs from `firstPartNumber` on. */
  async continue(claim: CurrentClaim, uploadId: string, firstPartNumber = 1): Promise<UploadTicket> {
    const upload = await this.#uploadOf(claim, uploadId);
    if (upload.committedAt !== null) {
      throw conflict(`upload ${uploadId} was committed; its URLs take no more bytes (open a new upload to write the file again)`, {
        uploadId,
        reason: 'UPLOAD_COMMITTED',
      });
    }
    checkFirstPartNumber(firstPartNumber, upload.uploadId === null ? 0 : partCountOf(upload.size, this.#partSizeOf(upload)), uploadId);
    // Extended before anything is signed: the sweeper removes an upload only once its last URL expired.
    const expiresAt = this.#urlExpiry();
    if (!(await this.state.resultFiles.extendUpload(upload.id, expiresAt)) && !(await this.state.resultFiles.isUploadOpen(upload.id))) {
      throw notFound(`upload ${uploadId}`);
    }
    return this.#ticket(upload, firstPartNumber, expiresAt);
  }

  /** Verifies the uploaded bytes against what was announced, then records the ResultFile. */
  async commit(
    actor: Principal,
    claimToken: string,
    claim: CurrentClaim,
    uploadId: string,
    parts: readonly ListedPart[],
    announcedSha256?: string | null,
  ): Promise<ResultFileRecord> {
    const upload = await this.#uploadOf(claim, uploadId);
    const atCommit = optionalSha256(announcedSha256);
    if (upload.sha256 !== null && atCommit !== null && atCommit !== upload.sha256) {
      throw badInput(`sha256 ${atCommit} contradicts the ${upload.sha256} announced when the upload was opened`, { uploadId });
    }
    if (upload.committedAt !== null) return this.#committedFileOf(upload);
    const sha256 = upload.sha256 ?? atCommit;
    if (sha256 === null)
      throw badInput("the file's sha256 is required: give it when the upload is opened or when it is committed", { uploadId });

    const placement = await this.#placeBytes(upload, parts);
    const actual = await this.#digestOfPlaced(upload);
    if (actual.size !== upload.size || actual.sha256 !== sha256) {
      if (placement.completionFailure !== undefined) throw placement.completionFailure.error;
      await this.objects.delete(upload.objectKey);
      if (upload.stagingKey !== null) await this.objects.delete(upload.stagingKey);
      await this.state.resultFiles.removeUpload(upload.id);
      throw new DomainError(ErrorCode.CHECKSUM_MISMATCH, `the bytes uploaded for ${upload.path} are not the ones announced; upload again`, {
        expected: { size: upload.size, sha256 },
        actual: { size: actual.size, sha256: actual.sha256 },
      });
    }
    return this.#record(actor, claimToken, claim, upload, sha256);
  }

  /**
   * Whether a PUT to `key` (with `multipartUploadId`, to one of its parts) belongs to an upload still
   * open: committed and abandoned uploads take no more bytes, even through URLs that have not expired.
   */
  async acceptsBytes(key: string, multipartUploadId?: string): Promise<boolean> {
    const id = uploadIdInKey(key);
    if (id === undefined) return false;
    let uploadId: string;
    try {
      uploadId = checkId('upload', id);
    } catch {
      return false;
    }
    const upload = await this.state.resultFiles.upload(uploadId);
    if (upload === null || upload.committedAt !== null) return false;
    if (multipartUploadId !== undefined) return upload.uploadId === multipartUploadId && upload.objectKey === key;
    // Uploads opened before staging keys existed wrote their single PUT straight to objectKey.
    return upload.uploadId === null && key === (upload.stagingKey ?? upload.objectKey);
  }

  /**
   * Puts the bytes at the upload's final key: completes its multipart upload, or moves its single PUT
   * there. A commit retried after the server died mid-commit finds the multipart upload completed and
   * gone, or the staged object moved; the bytes at the final key, verified next, then say whether that
   * step happened. Parts the commit lacks are refused with the upload kept.
   */
  async #placeBytes(upload: UploadRecord, parts: readonly ListedPart[]): Promise<{ completionFailure?: { error: unknown } }> {
    let completionFailure: { error: unknown } | undefined;
    if (upload.uploadId !== null) {
      const listed = checkListedParts(parts, upload.size, this.#partSizeOf(upload), upload.id);
      try {
        await this.objects.completeMultipartUpload(upload.objectKey, upload.uploadId, listed);
      } catch (error) {
        if (error instanceof PartsNotUploadedError) throw missingParts(upload.id, error.partNumbers, 'not uploaded');
        completionFailure = { error };
      }
    } else if (upload.stagingKey !== null) {
      await this.objects.move(upload.stagingKey, upload.objectKey).catch((error: unknown) => {
        if (!(error instanceof ObjectNotFoundError)) throw error;
      });
    }
    if ((await this.objects.stat(upload.objectKey)) === null) {
      if (completionFailure !== undefined) throw completionFailure.error;
      throw badInput(`nothing was uploaded for ${upload.path} yet`, { uploadId: upload.id });
    }
    return completionFailure === undefined ? {} : { completionFailure };
  }

  /**
   * The placed bytes, read back through SHA-256. The sweeper may remove an abandoned upload, bytes and
   * all, between their placing and this read: then the upload is gone, and the commit says so. The
   * sweeper deletes under the task's lock, so whether it did is read under that lock too.
   */
  async #digestOfPlaced(upload: UploadRecord): Promise<StoredObject> {
    try {
      return await this.objects.digest(upload.objectKey);
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError)) throw error;
      const stillOpen = await this.state.transaction(async (tx) => {
        await tx.tasks.lock([upload.taskId]);
        return tx.resultFiles.isUploadOpen(upload.id);
      });
      if (!stillOpen) throw notFound(`upload ${upload.id}`);
      throw error;
    }
  }

  async #record(
    actor: Principal,
    claimToken: string,
    claim: CurrentClaim,
    upload: UploadRecord,
    sha256: string,
  ): Promise<ResultFileRecord> {
    const row = await this.state.transaction(async (tx, events) => {
      await currentClaim(tx, actor, claimToken, { lock: true });
      // The sweeper removes an abandoned upload under the same lock, and a commit sent twice at once may
      // have recorded it already: check again now that nothing else can.
      const current = await tx.resultFiles.upload(upload.id);
      if (current === null) return 'swept' as const;
      if (current.committedAt !== null) return 'committed' as const;
      const replaced = await tx.resultFiles.atPath(upload.taskId, upload.unitKey, upload.path);
      // The bytes this commit replaces lose their last reference here; the upload sweeper removes them
      // once the claim has ended (a download URL handed out before may still be reading them until then).
      if (replaced !== null && replaced.objectKey !== upload.objectKey) {
        await tx.resultFiles.removeCommittedUploadsAt(upload.taskId, replaced.objectKey);
      }
      const file = await tx.resultFiles.record({
        taskId: upload.taskId,
        unitKey: upload.unitKey,
        path: upload.path,
        size: upload.size,
        sha256,
        objectKey: upload.objectKey,
        claimId: claim.claimId,
      });
      await tx.resultFiles.markCommitted(upload.id, file.committedAt, sha256);
      events.add(upload.taskId, {
        kind: 'ResultFileAvailable',
        resultFileId: file.id,
        unitKey: file.unitKey,
        path: file.path,
        size: file.size,
        sha256: file.sha256,
        objectKey: file.objectKey,
        committedAt: file.committedAt.toISOString(),
      });
      return file;
    });
    if (row === 'committed') return this.#committedFileOf({ ...upload, sha256 });
    if (row === 'swept') {
      // Placed after the sweeper removed the upload's objects: nothing will ever name these bytes.
      await this.objects.delete(upload.objectKey);
      throw notFound(`upload ${upload.id}`);
    }
    return toRecord(row);
  }

  /** A commit retried after its answer was lost: the file it recorded, if nothing replaced it since. */
  async #committedFileOf(upload: UploadRecord): Promise<ResultFileRecord> {
    const file = await this.state.resultFiles.atPath(upload.taskId, upload.unitKey, upload.path);
    if (file === null || file.sha256 !== upload.sha256)
      throw conflict(`the file ${upload.path} was replaced after this upload was committed`);
    return toRecord(file);
  }

  async #requireUnitStillRunnable(taskId: string, unitKey: string): Promise<void> {
    checkLength('unitKey', unitKey, textLimits.unitKey);
    const unit = await this.state.dags.unit(taskId, unitKey);
    if (unit === null) throw badInput(`task ${taskId}'s DAG has no unit "${unitKey}"`);
    const okAttempt = await this.state.unitResults.okAttemptOf(taskId, unitKey);
    if (okAttempt !== null) {
      throw conflict(`unit ${unitKey} already succeeded in attempt ${okAttempt}; its files are final`, {
        taskId,
        unitKey,
        reason: 'UNIT_ALREADY_SUCCEEDED',
      });
    }
  }

  /** The upload, if it is the claim's own: another task's is NOT_FOUND, an earlier claim's STALE_CLAIM. */
  async #uploadOf(claim: CurrentClaim, uploadId: string): Promise<UploadRecord> {
    const upload = await this.state.resultFiles.upload(checkId('upload', uploadId));
    if (upload === null || upload.taskId !== claim.taskId) throw notFound(`upload ${uploadId}`);
    if (upload.claimId !== claim.claimId) throw staleClaim(claim.taskId, 'the upload was started under another claim');
    return upload;
  }

  async #ticket(upload: UploadRecord, firstPartNumber: number, expiresAt: Date): Promise<UploadTicket> {
    const multipart = upload.uploadId === null ? null : { uploadId: upload.uploadId, partSize: this.#partSizeOf(upload) };
    return signUploadTicket(this.objects, this.settings, upload, multipart, firstPartNumber, expiresAt);
  }

  /** Uploads opened before the part size was recorded used the configured one, grown as it is now. */
  #partSizeOf(upload: UploadRecord): number {
    return upload.partSize ?? partSizeFor(upload.size, this.settings.multipartPartBytes);
  }

  #urlExpiry(): Date {
    return new Date(Date.now() + this.settings.uploadUrlSeconds * 1000);
  }
}

/** A digest given (lower-cased, checked) or null when none was. */
function optionalSha256(text: string | null | undefined): string | null {
  if (text === undefined || text === null) return null;
  const sha256 = text.toLowerCase();
  if (!sha256Pattern.test(sha256)) throw badInput('sha256 is 64 hexadecimal digits');
  return sha256;
}
