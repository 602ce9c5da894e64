import { createHash } from 'node:crypto';
import type { ApiClient } from '../../../client/ApiClient.js';
import { sendByTicket, uploadTicketFields } from '../../../transfers/sendByTicket.js';
import type { UploadTicket } from '../../../transfers/sendByTicket.js';
import { putFileRange } from '../../../transfers/upload.js';
import type { EntryBytes } from './archiveSource.js';
import { readEntry } from './archiveSource.js';

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
  const { createImportUpload: ticket } = await api.request<{ createImportUpload: UploadTicket }>(
    `mutation ($scope: String!, $size: SafeInt!, $sha: String!) { createImportUpload(scope: $scope, size: $size, sha256: $sha) { ${uploadTicketFields} } }`,
    { scope, size: bytes.size, sha: sha256 },
  );
  const parts = await sendByTicket(
    ticket,
    bytes.size,
    (url, offset, size) => putFileRange(url, bytes.path, bytes.offset + offset, size),
    async (first) =>
      (
        await api.request<{ continueImportUpload: UploadTicket }>(
          `mutation ($id: ID!, $first: Int!) { continueImportUpload(uploadId: $id, firstPartNumber: $first) { ${uploadTicketFields} } }`,
          { id: ticket.uploadId, first },
        )
      ).continueImportUpload,
  );
  await api.request<{ commitImportUpload: string }>(
    'mutation ($id: ID!, $parts: [UploadedPartInput!]) { commitImportUpload(uploadId: $id, parts: $parts) }',
    {
      id: ticket.uploadId,
      parts,
    },
  );
  return ticket.uploadId;
}
