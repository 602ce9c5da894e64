import type { ApiClient } from '../../../client/ApiClient.js';
import { ApiError } from '../../../client/ApiClient.js';
import { isClientKey, isSha256 } from '../../../domain/inputs/inputReferences.js';
import { sendByTicket, uploadTicketFields } from '../../../transfers/sendByTicket.js';
import type { UploadTicket } from '../../../transfers/sendByTicket.js';
import { putFileRange } from '../../../transfers/upload.js';
import { inputEntryName } from './archiveFormat.js';
import type { ArchiveInputEntry } from './archiveFormat.js';
import type { ArchiveSource, EntryBytes } from './archiveSource.js';
import { ArchiveError } from './archiveError.js';
import { sha256Of } from './importUpload.js';

/** An archived input object with its content's place in the archive, checked. */
export interface CheckedInput extends ArchiveInputEntry {
  bytes: EntryBytes;
}

/** The manifest's `inputs`, each well formed; none for an archive written before inputs travelled. */
export function inputsOfManifest(inputs: unknown): ArchiveInputEntry[] {
  if (inputs === undefined) return [];
  const wellFormed = (input: unknown): input is ArchiveInputEntry => {
    const { sha256, size, keys } = (input ?? {}) as Partial<ArchiveInputEntry>;
    return isSha256(sha256) && Number.isSafeInteger(size) && (size as number) >= 0 && Array.isArray(keys) && keys.every(isClientKey);
  };
  if (!Array.isArray(inputs)) throw new ArchiveError('BAD_ARCHIVE', 'the manifest\'s "inputs" is not a list');
  const bad = inputs.findIndex((input) => !wellFormed(input));
  if (bad >= 0) throw new ArchiveError('BAD_ARCHIVE', `the manifest's inputs[${bad}] is not {sha256, size, keys} of an input object`);
  return inputs as ArchiveInputEntry[];
}

/** Every input object's content present with the size and SHA-256 the manifest names. */
export async function checkInputs(archive: ArchiveSource, inputs: readonly ArchiveInputEntry[]): Promise<CheckedInput[]> {
  const checked: CheckedInput[] = [];
  for (const input of inputs) {
    const name = inputEntryName(input.sha256);
    const bytes = await archive.entry(name);
    if (bytes === undefined) throw new ArchiveError('BAD_ARCHIVE', `the archive lacks ${name}, an input object its manifest names`);
    const sha256 = bytes.size === input.size ? await sha256Of(bytes) : undefined;
    if (sha256 !== input.sha256) {
      throw new ArchiveError(
        'CHECKSUM_MISMATCH',
        `${name} holds ${bytes.size} bytes${sha256 === undefined ? '' : ` with SHA-256 ${sha256}`}, not the ${input.size} bytes with ${input.sha256} the manifest names: the archive is damaged; nothing was imported`,
      );
    }
    checked.push({ ...input, bytes });
  }
  return checked;
}

/**
 * Stores each input object in `scope` with its keys (createInputUpload, the archive entry's bytes PUT as
 * they are, commitInputUpload): nothing is sent for content the scope holds already, where only the keys
 * are attached. Answers how many were sent. The server compresses what pays at commit.
 */
export async function uploadInputs(api: ApiClient, scope: string, inputs: readonly CheckedInput[]): Promise<number> {
  let sent = 0;
  for (const input of inputs) {
    try {
      if (await uploadInput(api, scope, input)) sent += 1;
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'CONFLICT') throw error;
      throw new ApiError(
        'CONFLICT',
        `input object ${input.sha256} (${inputEntryName(input.sha256)}) carries key(s) ${input.keys.join(', ')}, and scope ${scope} already gives one of them to other content (${error.message}); the network was not created`,
        error.extensions,
      );
    }
  }
  return sent;
}

async function uploadInput(api: ApiClient, scope: string, input: CheckedInput): Promise<boolean> {
  const [firstKey, ...otherKeys] = input.keys;
  const answer = await openUpload(api, scope, input, firstKey);
  if (answer.upload !== null) {
    const ticket = answer.upload;
    const parts = await sendByTicket(
      ticket,
      input.size,
      (url, offset, size) => putFileRange(url, input.bytes.path, input.bytes.offset + offset, size),
      async (first) =>
        (
          await api.request<{ continueInputUpload: UploadTicket }>(
            `mutation ($id: ID!, $first: Int!) { continueInputUpload(uploadId: $id, firstPartNumber: $first) { ${uploadTicketFields} } }`,
            { id: ticket.uploadId, first },
          )
        ).continueInputUpload,
    );
    await api.request('mutation ($id: ID!, $parts: [UploadedPartInput!]) { commitInputUpload(uploadId: $id, parts: $parts) { sha256 } }', {
      id: ticket.uploadId,
      parts,
    });
  }
  // The scope holds the content now: opening again attaches each further key, and sends nothing.
  for (const key of otherKeys) await openUpload(api, scope, input, key);
  return answer.upload !== null;
}

async function openUpload(
  api: ApiClient,
  scope: string,
  input: CheckedInput,
  key: string | undefined,
): Promise<{ object: { sha256: string } | null; upload: UploadTicket | null }> {
  const { createInputUpload } = await api.request<{
    createInputUpload: { object: { sha256: string } | null; upload: UploadTicket | null };
  }>(`mutation ($input: InputUploadInput!) { createInputUpload(input: $input) { object { sha256 } upload { ${uploadTicketFields} } } }`, {
    input: { scope, sha256: input.sha256, size: input.size, encoding: 'IDENTITY', ...(key === undefined ? {} : { key }) },
  });
  return createInputUpload;
}
