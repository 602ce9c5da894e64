import { badInput } from '../errors.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import type { UploadSettings, UploadTicket } from './ResultFileUploads.js';
import { partCountOf, plannedParts } from './uploadParts.js';

/**
 * What a ResultFile upload and an import upload both hand out: the URLs that write an open upload's
 * bytes. URLs are signed after `expiresAt` was taken, for the same lifetime: none outlives the row's expiry.
 */
export async function signUploadTicket(
  objects: ObjectStore,
  settings: Pick<UploadSettings, 'uploadUrlSeconds' | 'uploadPartUrlsPerAnswer'>,
  upload: { id: string; size: number; objectKey: string; stagingKey: string | null },
  /** The object store's multipart upload and its part size; null for a single PUT. */
  multipart: { uploadId: string; partSize: number } | null,
  firstPartNumber: number,
  expiresAt: Date,
): Promise<UploadTicket> {
  const lifetime = settings.uploadUrlSeconds;
  if (multipart === null) {
    const url = await objects.presignPut(upload.stagingKey ?? upload.objectKey, lifetime, { size: upload.size });
    return { uploadId: upload.id, url, parts: [], partSize: null, partCount: 0, expiresAt };
  }
  const { uploadId, partSize } = multipart;
  const parts: UploadTicket['parts'] = [];
  for (const part of plannedParts(upload.size, partSize, firstPartNumber, settings.uploadPartUrlsPerAnswer)) {
    const url = await objects.presignUploadPart(upload.objectKey, uploadId, part.partNumber, lifetime, { size: part.size });
    parts.push({ ...part, url });
  }
  return { uploadId: upload.id, url: null, parts, partSize, partCount: partCountOf(upload.size, partSize), expiresAt };
}

/** Refuses a first part number outside the upload's parts (a single PUT has the one, 1). */
export function checkFirstPartNumber(firstPartNumber: number, partCount: number, uploadId: string): void {
  if (!(Number.isInteger(firstPartNumber) && firstPartNumber >= 1 && firstPartNumber <= Math.max(1, partCount))) {
    throw badInput(`firstPartNumber ${firstPartNumber} is not one of this upload's parts 1 to ${Math.max(1, partCount)}`, { uploadId });
  }
}
