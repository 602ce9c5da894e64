import { DomainError, ErrorCode, badInput } from '../errors.js';
import { echo } from '../textLimits.js';
import type { ArchivedFile, ArchivedTask } from './archivedTask.js';
import type { ImportUploadRecord } from './ImportRepository.js';

/** A file of the archive with the verified upload holding its bytes. */
export interface FileToImport extends ArchivedFile {
  upload: ImportUploadRecord;
}

/** The archive's files that come with an upload, each upload holding exactly the bytes the archive names. */
export function filesToImport(
  archived: ArchivedTask,
  given: ReadonlyArray<{ unitKey: string; path: string; uploadId: string }>,
  uploads: ReadonlyMap<string, ImportUploadRecord>,
): FileToImport[] {
  const byName = new Map(archived.files.map((f) => [`${f.unitKey}\u0000${f.path}`, f]));
  return given.map((g, i) => {
    const file = byName.get(`${g.unitKey}\u0000${g.path}`);
    if (file === undefined) throw badInput(`the archived task has no file ${echo(`${g.unitKey}/${g.path}`)}`, { field: `files[${i}]` });
    const upload = uploads.get(g.uploadId);
    if (upload === undefined) throw new Error(`no upload ${g.uploadId} among those checked`);
    if (upload.size !== file.size || upload.sha256 !== file.sha256) {
      throw new DomainError(
        ErrorCode.CHECKSUM_MISMATCH,
        `import upload ${upload.id} does not hold the bytes the archive names for ${echo(`${g.unitKey}/${g.path}`)}`,
        {
          field: `files[${i}]`,
          expected: { size: file.size, sha256: file.sha256 },
          actual: { size: upload.size, sha256: upload.sha256 },
        },
      );
    }
    return { ...file, upload };
  });
}
