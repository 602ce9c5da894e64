import type { ApiClient } from '../../../client/ApiClient.js';
import { ArchiveError } from './archiveError.js';
import { archiveFormat, fileEntryName, manifestName } from './archiveFormat.js';
import type { ArchiveManifest } from './archiveFormat.js';
import type { ArchiveSource, EntryBytes } from './archiveSource.js';
import { readEntryText } from './archiveSource.js';
import { checkInputs, inputsOfManifest, uploadInputs } from './importInputs.js';
import type { CheckedInput } from './importInputs.js';
import { sha256Of, uploadForImport } from './importUpload.js';

export interface ImportedTaskLine {
  sourceTaskId: string;
  taskId: string;
  created: boolean;
  files: number;
}

export interface ImportSummary {
  networkKey: string;
  networkCreated: boolean;
  /** Input objects the archive carries, and how many of them the scope lacked (their bytes were sent). */
  inputs: { total: number; sent: number };
  tasks: ImportedTaskLine[];
}

/** Hub statuses a task may be actioned in again: those it may still be claimed from. */
const actionable = new Set(['WAITING', 'RUNNING', 'ERROR']);
const actionBatch = 500;

/**
 * Loads an archive into the server: the input objects the network and its DAGs refer to (so their
 * references resolve in the new scope), the network (createNetwork is idempotent), its weight and
 * restart patterns, then each task in the archive's order (a task after the one it extends) through
 * importTask, which makes it all at once or not at all and finds it when it was imported before.
 * Every input object's and file's bytes are checked against the archive's SHA-256 before anything is sent.
 */
export async function importNetwork(
  api: ApiClient,
  archive: ArchiveSource,
  options: { scope?: string | undefined; onTask?: (line: ImportedTaskLine) => void },
): Promise<ImportSummary> {
  const manifest = await readManifest(archive);
  const { documents, inputs } = await checkArchive(archive, manifest);
  const scope = options.scope ?? manifest.source.scope;
  const inputsSent = await uploadInputs(api, scope, inputs);

  const { createNetwork } = await api.request<{
    createNetwork: { created: boolean; network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
  }>(
    `mutation ($scope: String!, $input: NetworkInput!) { createNetwork(scope: $scope, input: $input) {
      created network { scopedKey transformations { scopedKey } } } }`,
    { scope, input: manifest.network },
  );
  const network = createNetwork.network;
  await api.request('mutation ($n: ID!, $w: Float!) { setNetworkWeight(networkKey: $n, weight: $w) { weight } }', {
    n: network.scopedKey,
    w: manifest.weight,
  });
  for (const { pattern, maxRetries } of manifest.restartPatterns) {
    await api.request(
      'mutation ($n: ID!, $p: String!, $m: Int!) { addRestartPattern(networkKey: $n, pattern: $p, maxRetries: $m) { id } }',
      {
        n: network.scopedKey,
        p: pattern,
        m: maxRetries,
      },
    );
  }
  // Content-keyed: a transformation has the same key in every scope, the scope aside.
  const transformationByKey = new Map(network.transformations.map((t) => [contentKeyOf(t.scopedKey), t.scopedKey]));

  const lines: ImportedTaskLine[] = [];
  const toAction: string[] = [];
  for (const entry of manifest.tasks) {
    const transformationKey = transformationByKey.get(contentKeyOf(entry.transformationKey));
    if (transformationKey === undefined)
      throw new ArchiveError('BAD_ARCHIVE', `task ${entry.id}'s transformation ${entry.transformationKey} is not in the archived network`);
    const document = documents.get(entry.id) as EntryBytes;
    const documentUploadId = await uploadForImport(api, scope, document, await sha256Of(document));
    const files = [];
    for (const file of manifest.files.filter((f) => f.task === entry.id && f.included)) {
      const bytes = (await archive.entry(fileEntryName(file.sha256))) as EntryBytes;
      files.push({ unitKey: file.unitKey, path: file.path, uploadId: await uploadForImport(api, scope, bytes, file.sha256) });
    }
    const { importTask } = await api.request<{ importTask: { created: boolean; task: { id: string; status: string } } }>(
      `mutation ($t: ID!, $input: ImportTaskInput!) { importTask(transformationKey: $t, input: $input) { created task { id status } } }`,
      { t: transformationKey, input: { documentUploadId, files } },
    );
    const line = { sourceTaskId: entry.id, taskId: importTask.task.id, created: importTask.created, files: files.length };
    lines.push(line);
    options.onTask?.(line);
    if (entry.actioned && actionable.has(importTask.task.status)) toAction.push(importTask.task.id);
  }
  for (let start = 0; start < toAction.length; start += actionBatch) {
    await api.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: network.scopedKey,
      ids: toAction.slice(start, start + actionBatch),
    });
  }
  return {
    networkKey: network.scopedKey,
    networkCreated: createNetwork.created,
    inputs: { total: inputs.length, sent: inputsSent },
    tasks: lines,
  };
}

async function readManifest(archive: ArchiveSource): Promise<ArchiveManifest> {
  const entry = await archive.entry(manifestName);
  if (entry === undefined) throw new ArchiveError('BAD_ARCHIVE', `no ${manifestName}: not a complete network archive`);
  let manifest: Partial<ArchiveManifest>;
  try {
    manifest = JSON.parse(await readEntryText(entry)) as Partial<ArchiveManifest>;
  } catch (error) {
    throw new ArchiveError('BAD_ARCHIVE', `${manifestName} is not JSON: ${(error as Error).message}`);
  }
  if (manifest.format !== archiveFormat || manifest.version !== 1 || !Array.isArray(manifest.tasks) || !Array.isArray(manifest.files)) {
    throw new ArchiveError('BAD_ARCHIVE', `${manifestName} is not a ${archiveFormat} version 1 manifest`);
  }
  return manifest as ArchiveManifest;
}

/**
 * Every task document present, every input object and included file present with the size and SHA-256
 * the manifest names.
 */
async function checkArchive(
  archive: ArchiveSource,
  manifest: ArchiveManifest,
): Promise<{ documents: Map<string, EntryBytes>; inputs: CheckedInput[] }> {
  const inputs = await checkInputs(archive, inputsOfManifest(manifest.inputs));
  const documents = new Map<string, EntryBytes>();
  for (const task of manifest.tasks) {
    const entry = await archive.entry(task.entry);
    if (entry === undefined) throw new ArchiveError('BAD_ARCHIVE', `the archive lacks ${task.entry}, named by its manifest`);
    documents.set(task.id, entry);
  }
  const checked = new Set<string>();
  for (const file of manifest.files.filter((f) => f.included)) {
    if (checked.has(file.sha256)) continue;
    const name = fileEntryName(file.sha256);
    const entry = await archive.entry(name);
    if (entry === undefined) throw new ArchiveError('BAD_ARCHIVE', `the archive lacks ${name} (${file.task}/${file.unitKey}/${file.path})`);
    const sha256 = entry.size === file.size ? await sha256Of(entry) : undefined;
    if (sha256 !== file.sha256) {
      throw new ArchiveError(
        'CHECKSUM_MISMATCH',
        `${name} (${file.task}/${file.unitKey}/${file.path}) holds ${entry.size} bytes${sha256 === undefined ? '' : ` with SHA-256 ${sha256}`}, not the ${file.size} bytes with ${file.sha256} the manifest names: the archive is damaged; nothing was imported`,
      );
    }
    checked.add(file.sha256);
  }
  return { documents, inputs };
}

/** `Transformation-<hash>` of a scoped key. */
function contentKeyOf(scopedKey: string): string {
  return scopedKey.split('-').slice(0, 2).join('-');
}
