import { rm } from 'node:fs/promises';
import { downloadVerified, hasContent } from '../../../transfers/download.js';
import { TransientTransferError } from '../../../transfers/TransientTransferError.js';
import type { ArchiveSink } from './archiveSink.js';

/** How often a download is tried when the connection breaks or the store answers 5xx. */
const downloadTries = 3;

/** Where to GET an entry's bytes from; asked afresh for each try, since a presigned URL expires. */
export type DownloadSource = () => Promise<{ url: string; gunzip: boolean }>;

/**
 * Puts `size` bytes with this SHA-256 into the archive as `name` (once per run), downloaded and checked
 * on the way, or kept from an earlier run of a directory export when they are already there.
 */
export async function downloadIntoArchive(
  sink: ArchiveSink,
  name: string,
  content: { label: string; size: number; sha256: string },
  source: DownloadSource,
): Promise<void> {
  if (sink.has(name)) return;
  const scratch = sink.scratchPath(name);
  if (!(await hasContent(scratch, content.size, content.sha256))) {
    for (let tries = 1; ; tries += 1) {
      const { url, gunzip } = await source();
      try {
        await downloadVerified({ name: content.label, url, size: content.size, sha256: content.sha256 }, scratch, undefined, { gunzip });
        break;
      } catch (error) {
        if (!(error instanceof TransientTransferError) || tries >= downloadTries) {
          await rm(scratch, { force: true });
          throw error;
        }
      }
    }
  }
  await sink.takeFile(name, scratch, content.size);
}
