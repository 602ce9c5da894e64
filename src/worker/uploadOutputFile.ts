import { putFileRange } from '../transfers/upload.js';
import type { LocalFile } from './outputFiles.js';
import { sha256OfFileOffThread } from '../transfers/offThreadSha256.js';
import { withRetry } from './retry.js';
import type { WorkerApi } from './WorkerApi.js';

export type UploadApi = Pick<WorkerApi, 'createUpload' | 'continueUpload' | 'commitUpload'>;

/**
 * Uploads one output file. The file is hashed while its bytes are sent (a second read of the same
 * bytes, from the page cache, on a thread of its own), not before: a big file then costs about its
 * transfer time instead of a full read and then the transfer. The digest goes with the commit, and
 * the server records the file only if the bytes it stored have that size and digest.
 */
export async function uploadOutputFile(api: UploadApi, claimToken: string, unitKey: string, file: LocalFile): Promise<void> {
  // Taken once: a retried upload sends the same bytes again.
  const digest = sha256OfFileOffThread(file.absolutePath);
  digest.catch(() => undefined); // awaited below; an upload failing first must not leave it unhandled
  await withRetry(async () => {
    const ticket = await api.createUpload(claimToken, { unitKey, path: file.path, size: file.size });
    const parts = [];
    if (ticket.url !== null) {
      await putFileRange(ticket.url, file.absolutePath, 0, file.size);
    } else {
      // One after another, in order: the local store then takes the whole file's digest on the way in.
      // Each answer carries a bounded batch of part URLs, signed when asked for, so the later parts of
      // a big file get URLs that are fresh when their turn comes.
      for (let batch = ticket.parts; batch.length > 0;) {
        for (const part of batch) {
          parts.push({
            partNumber: part.partNumber,
            etag: await withRetry(() => putFileRange(part.url, file.absolutePath, part.offset, part.size)),
          });
        }
        const next = batch[batch.length - 1]!.partNumber + 1;
        batch = next > ticket.partCount ? [] : (await api.continueUpload(claimToken, ticket.uploadId, next)).parts;
      }
    }
    await api.commitUpload(claimToken, ticket.uploadId, parts, await digest);
  });
}
