import { badInput } from '../errors.js';
import { ObjectNotFoundError, PartsNotUploadedError } from '../objects/ObjectStore.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { checkListedParts, missingParts } from './uploadParts.js';
import type { ListedPart } from './uploadParts.js';

/** What an upload that was staged (single PUT) or sent in parts needs to be put in place. */
export interface StagedUpload {
  id: string;
  objectKey: string;
  /** The object store's multipart upload; null for a single PUT. */
  uploadId: string | null;
  partSize: number | null;
  stagingKey: string | null;
}

/**
 * Puts an upload's bytes at its objectKey, where no URL writes: completes the multipart upload with the
 * listed parts, or moves the single PUT's staged object. Repeating it after an answer was lost is safe.
 * `sentBytes` is what the URLs took; `what` names the upload in refusals ("import upload", "input upload").
 */
export async function placeUploadedBytes(
  objects: ObjectStore,
  upload: StagedUpload,
  parts: readonly ListedPart[],
  sentBytes: number,
  what: string,
): Promise<void> {
  if (upload.uploadId !== null && upload.partSize !== null) {
    const listed = checkListedParts(parts, sentBytes, upload.partSize, upload.id);
    try {
      await objects.completeMultipartUpload(upload.objectKey, upload.uploadId, listed);
    } catch (error) {
      if (error instanceof PartsNotUploadedError) throw missingParts(upload.id, error.partNumbers, 'not uploaded');
      // Completed by an earlier commit whose answer was lost: the bytes at objectKey say.
      if ((await objects.stat(upload.objectKey)) === null) throw error;
    }
  } else if (upload.stagingKey !== null) {
    await objects.move(upload.stagingKey, upload.objectKey).catch((error: unknown) => {
      if (!(error instanceof ObjectNotFoundError)) throw error;
    });
  }
  if ((await objects.stat(upload.objectKey)) === null) throw badInput(`nothing was uploaded for ${what} ${upload.id} yet`);
}

/** Whether a PUT to `key` (of `multipartUploadId`'s part, for a part) writes an upload still open. */
export function takesBytes(
  upload: (StagedUpload & { committedAt: Date | null }) | null,
  key: string,
  multipartUploadId: string | undefined,
): boolean {
  if (upload === null || upload.committedAt !== null) return false;
  if (multipartUploadId !== undefined) return upload.uploadId === multipartUploadId && upload.objectKey === key;
  return upload.uploadId === null && key === upload.stagingKey;
}
