import { createHash } from 'node:crypto';
import type { ApiClient } from '../../../client/ApiClient.js';
import { putFileRange } from '../../../transfers/upload.js';
import type { EntryBytes } from './archiveSource.js';
import { readEntry } from './archiveSource.js';

interface Ticket {
  uploadId: string;
  url: string | null;
  parts: Array<{ partNumber: number; url: string; offset: number; size: number }>;
  partCount: number;
}

const ticketFields = 'uploadId url parts { partNumber url offset size } partCount';

/** The SHA-256 of an entry's bytes, read as a stream. */
export async function sha256Of(bytes: EntryBytes): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of readEntry(bytes)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Sends an archive entry's bytes as an import upload (createImportUpload, PUT to its URL or its parts,
 * commitImportUpload, which verifies them) and returns the upload's id for importTask.
 */
export async function uploadForImport(api: ApiClient, scope: string, bytes: EntryBytes, sha256: string): Promise<string> {
  const { createImportUpload: ticket } = await api.request<{ createImportUpload: Ticket }>(
    `mutation ($scope: String!, $size: SafeInt!, $sha: String!) { createImportUpload(scope: $scope, size: $size, sha256: $sha) { ${ticketFields} } }`,
    { scope, size: bytes.size, sha: sha256 },
  );
  const parts: Array<{ partNumber: number; etag: string }> = [];
  if (ticket.url !== null) {
    await putFileRange(ticket.url, bytes.path, bytes.offset, bytes.size);
  } else {
    let batch = ticket;
    for (;;) {
      for (const part of batch.parts) {
        parts.push({ partNumber: part.partNumber, etag: await putFileRange(part.url, bytes.path, bytes.offset + part.offset, part.size) });
      }
      const next = parts.length + 1;
      if (next > ticket.partCount) break;
      ({ continueImportUpload: batch } = await api.request<{ continueImportUpload: Ticket }>(
        `mutation ($id: ID!, $first: Int!) { continueImportUpload(uploadId: $id, firstPartNumber: $first) { ${ticketFields} } }`,
        { id: ticket.uploadId, first: next },
      ));
    }
  }
  await api.request<{ commitImportUpload: string }>(
    'mutation ($id: ID!, $parts: [UploadedPartInput!]) { commitImportUpload(uploadId: $id, parts: $parts) }',
    {
      id: ticket.uploadId,
      parts,
    },
  );
  return ticket.uploadId;
}
