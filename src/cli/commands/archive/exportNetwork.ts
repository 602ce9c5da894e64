import type { ApiClient } from '../../../client/ApiClient.js';
import { ApiError } from '../../../client/ApiClient.js';
import { archivedTaskFormat } from '../../../domain/imports/archivedTask.js';
import { archiveFormat, fileEntryName, manifestName, taskEntryName } from './archiveFormat.js';
import type { ArchiveFileEntry, ArchiveManifest, ArchiveTaskEntry, ArchivedTaskEntry } from './archiveFormat.js';
import type { ArchiveSink } from './archiveSink.js';
import { downloadIntoArchive } from './downloadIntoArchive.js';
import { ArchiveInputs } from './exportInputs.js';

interface NetworkView {
  scopedKey: string;
  scope: string;
  name: string;
  weight: number;
  chemicalSystems: Array<{ name: string; components: unknown }>;
  transformations: Array<{
    scopedKey: string;
    name: string;
    protocol: string;
    settings: unknown;
    stateA: { name: string };
    stateB: { name: string };
  }>;
  restartPatterns: Array<{ pattern: string; maxRetries: number }>;
}

interface FileView {
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
}

interface TaskView {
  id: string;
  status: ArchivedTaskEntry['status'];
  priority: number;
  seed: number | null;
  createdAt: string;
  extends: { id: string } | null;
  actionedOn: string[];
  transformation: { scopedKey: string };
  dag: { serialized: unknown } | null;
  unitResults: Array<{
    unitKey: string;
    attempt: number;
    ok: boolean;
    outputs: unknown;
    exception: string | null;
    traceback: string | null;
    startedAt: string;
    endedAt: string;
    log: string | null;
  }>;
  dagResults: Array<{ id: string; ok: boolean; createdAt: string; document: unknown }>;
  okFiles: FileView[];
  otherFiles: FileView[];
}

const networkQuery = `query ($key: ID!) { network(scopedKey: $key) { scopedKey scope name weight
  chemicalSystems { name components }
  transformations { scopedKey name protocol settings stateA { name } stateB { name } }
  restartPatterns { pattern maxRetries } } }`;

const taskIdsQuery = `query ($key: ID!, $after: String) { tasks(first: 500, after: $after, filter: { networkKey: $key }) {
  edges { node { id } } pageInfo { hasNextPage endCursor } } }`;

const fileFields = 'unitKey path size sha256';
const taskQuery = `query ($id: ID!) { task(id: $id) { id status priority seed createdAt extends { id } actionedOn transformation { scopedKey }
  dag { serialized }
  unitResults { unitKey attempt ok outputs exception traceback startedAt endedAt log }
  dagResults { id ok createdAt document }
  okFiles: resultFiles(ok: true) { ${fileFields} } otherFiles: resultFiles(ok: false) { ${fileFields} } } }`;

export interface ExportSummary {
  tasks: number;
  files: number;
  filesIncluded: number;
  bytesIncluded: number;
  /** Input objects carried, and their bytes of content. */
  inputs: number;
  inputBytes: number;
}

/**
 * Writes a network's archive (archiveFormat.ts), one task at a time: only one task's results, and
 * one file's (or input object's) bytes on their way through, are in memory or scratch at once.
 */
export async function exportNetwork(
  api: ApiClient,
  networkKey: string,
  sink: ArchiveSink,
  options: { withFiles: boolean; onTask?: (done: number) => void },
): Promise<ExportSummary> {
  const { network } = await api.request<{ network: NetworkView | null }>(networkQuery, { key: networkKey });
  if (network === null) throw new ApiError('NOT_FOUND', `no network ${networkKey}`);
  const tasks: ArchiveTaskEntry[] = [];
  const files: ArchiveFileEntry[] = [];
  const summary: ExportSummary = { tasks: 0, files: 0, filesIncluded: 0, bytesIncluded: 0, inputs: 0, inputBytes: 0 };
  // The objects the network refers to travel with it: another scope or server holds none of them.
  const inputs = new ArchiveInputs(api, network.scope, sink);
  await inputs.add(
    [...network.chemicalSystems.map((c) => c.components), ...network.transformations.map((t) => t.settings)],
    `network ${network.scopedKey}`,
  );
  for await (const taskId of taskIdsOf(api, network.scopedKey)) {
    const task = await readTask(api, taskId);
    const archived = toArchivedTask(task);
    const entry = taskEntryName(task.id);
    await sink.writeJson(entry, archived);
    await inputs.add(unitInputsOf(archived.dag), `task ${task.id}'s ProtocolDAG`);
    tasks.push({
      id: task.id,
      transformationKey: task.transformation.scopedKey,
      status: task.status,
      actioned: task.actionedOn.includes(network.scopedKey),
      entry,
    });
    for (const file of archived.files) {
      const included = options.withFiles ? await includeFile(sink, api, task, file) : false;
      files.push({ task: task.id, ...file, included });
      summary.files += 1;
      if (included) {
        summary.filesIncluded += 1;
        summary.bytesIncluded += file.size;
      }
    }
    summary.tasks += 1;
    options.onTask?.(summary.tasks);
  }
  const manifest: ArchiveManifest = {
    format: archiveFormat,
    version: 1,
    exportedAt: new Date().toISOString(),
    source: { url: api.endpoint.replace(/\/graphql$/, ''), networkKey: network.scopedKey, scope: network.scope },
    network: {
      name: network.name,
      chemicalSystems: network.chemicalSystems.map((c) => ({ name: c.name, components: c.components })),
      transformations: network.transformations.map((t) => ({
        name: t.name,
        stateA: t.stateA.name,
        stateB: t.stateB.name,
        protocol: t.protocol,
        settings: t.settings,
      })),
    },
    weight: network.weight,
    restartPatterns: network.restartPatterns,
    tasks,
    files,
    inputs: inputs.entries(),
  };
  summary.inputs = manifest.inputs?.length ?? 0;
  summary.inputBytes = manifest.inputs?.reduce((sum, input) => sum + input.size, 0) ?? 0;
  // Written last: an archive with its manifest is a complete one.
  await sink.writeJson(manifestName, manifest);
  await sink.finish();
  return summary;
}

async function* taskIdsOf(api: ApiClient, networkKey: string): AsyncGenerator<string> {
  let after: string | null = null;
  for (;;) {
    const { tasks }: { tasks: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await api.request(taskIdsQuery, { key: networkKey, after });
    for (const edge of tasks.edges) yield edge.node.id;
    if (!tasks.pageInfo.hasNextPage || tasks.pageInfo.endCursor === null) return;
    after = tasks.pageInfo.endCursor;
  }
}

/** The units' inputs of a serialized ProtocolDAG: where a DAG may hold references. */
function unitInputsOf(dag: unknown): unknown[] {
  const units = (dag as { units?: unknown } | null)?.units;
  return Array.isArray(units) ? units.map((unit) => (unit as { inputs?: unknown } | null)?.inputs) : [];
}

async function readTask(api: ApiClient, taskId: string): Promise<TaskView> {
  const { task } = await api.request<{ task: TaskView | null }>(taskQuery, { id: taskId });
  if (task === null) throw new ApiError('NOT_FOUND', `task ${taskId} disappeared during the export`);
  return task;
}

function toArchivedTask(task: TaskView): ArchivedTaskEntry {
  const okAttempt = new Map(task.unitResults.filter((r) => r.ok).map((r) => [r.unitKey, r.attempt]));
  // A file not of its unit's ok result came from a failed (or abandoned) attempt: the latest failed one of its unit, 0 if none is known.
  const failedAttempt = new Map<string, number>();
  for (const r of task.unitResults) if (!r.ok) failedAttempt.set(r.unitKey, Math.max(r.attempt, failedAttempt.get(r.unitKey) ?? 0));
  const fileOf = (f: FileView, attempt: number) => ({ unitKey: f.unitKey, path: f.path, size: f.size, sha256: f.sha256, attempt });
  return {
    format: archivedTaskFormat,
    version: 1,
    id: task.id,
    transformationKey: task.transformation.scopedKey,
    status: task.status,
    priority: task.priority,
    seed: task.seed,
    extends: task.extends?.id ?? null,
    createdAt: task.createdAt,
    dag: task.dag?.serialized ?? null,
    unitResults: task.unitResults.map((r) => ({
      unitKey: r.unitKey,
      attempt: r.attempt,
      ok: r.ok,
      ...(r.ok ? { outputs: r.outputs } : { exception: r.exception, traceback: r.traceback }),
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      log: r.log,
    })),
    dagResults: task.dagResults.map((r) => {
      const document = r.document as {
        attempt?: unknown;
        createdAt?: unknown;
        dagBuildFailure?: { exception?: unknown; traceback?: unknown };
      };
      const failure = document.dagBuildFailure;
      return {
        id: r.id,
        attempt: typeof document.attempt === 'number' ? document.attempt : 0,
        ok: r.ok,
        createdAt: r.createdAt,
        documentCreatedAt: typeof document.createdAt === 'string' ? document.createdAt : null,
        ...(failure === undefined ? {} : { exception: String(failure.exception ?? ''), traceback: String(failure.traceback ?? '') }),
        document: r.document,
      };
    }),
    files: [
      ...task.okFiles.map((f) => fileOf(f, okAttempt.get(f.unitKey) ?? 0)),
      ...task.otherFiles.map((f) => fileOf(f, failedAttempt.get(f.unitKey) ?? 0)),
    ],
  };
}

/** Puts the file's bytes into the archive (once per content), SHA-256 checked on the way. */
async function includeFile(
  sink: ArchiveSink,
  api: ApiClient,
  task: TaskView,
  file: { unitKey: string; path: string; size: number; sha256: string },
): Promise<boolean> {
  // Listed afresh for each try: a presigned URL expires, and an export of many files takes a while.
  await downloadIntoArchive(
    sink,
    fileEntryName(file.sha256),
    { label: `${task.id}/${file.unitKey}/${file.path}`, size: file.size, sha256: file.sha256 },
    async () => ({ url: await downloadUrlOf(api, task.id, file), gunzip: false }),
  );
  return true;
}

async function downloadUrlOf(api: ApiClient, taskId: string, file: { unitKey: string; path: string }): Promise<string> {
  const { task } = await api.request<{ task: { resultFiles: Array<{ path: string; downloadUrl: string }> } | null }>(
    'query ($id: ID!, $unit: String) { task(id: $id) { resultFiles(unitKey: $unit) { path downloadUrl } } }',
    { id: taskId, unit: file.unitKey },
  );
  const found = task?.resultFiles.find((f) => f.path === file.path);
  if (found === undefined) throw new ApiError('NOT_FOUND', `task ${taskId} no longer has the file ${file.unitKey}/${file.path}`);
  return found.downloadUrl;
}
