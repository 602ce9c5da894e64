import type { Command } from 'commander';
import type { ApiClient } from '../../client/ApiClient.js';
import { ApiError } from '../../client/ApiClient.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { destinationFor, downloadVerified, hasContent } from '../../transfers/download.js';
import { printTable } from '../output.js';
import { formatBytes, ProgressBar } from '../progressBar.js';

interface ResultFile {
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
  committedAt: string;
  downloadUrl: string;
}

interface FileOptions extends ConnectionOptions {
  unit?: string;
  json?: boolean;
}

interface DownloadOutcome {
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
  file: string;
  outcome: 'downloaded' | 'up to date';
}

/** Enough of a SHA-256 to tell files apart by eye; --json has the whole of it. */
const SHORT_SHA_CHARS = 12;
/** Presigned URLs expire (after an hour by default): a long batch lists the files again for fresh ones. */
const URL_MAX_AGE_MS = 10 * 60_000;

export function registerFileCommands(program: Command): void {
  const files = program.command('files').description("list and download tasks' ResultFiles");

  withConnectionOptions(
    files
      .command('list <taskId>')
      .description("a task's result files")
      .option('--unit <unitKey>', 'only this unit')
      .option('--json', 'print JSON'),
  ).action(async (taskId: string, options: FileOptions) => {
    const found = await resultFiles(await connect(options), taskId, options.unit);
    if (options.json === true) {
      console.log(JSON.stringify(found, null, 2));
      return;
    }
    printTable(
      found.map((f) => ({ unit: f.unitKey, path: f.path, size: formatBytes(f.size), sha256: f.sha256.slice(0, SHORT_SHA_CHARS) })),
    );
  });

  withConnectionOptions(
    files
      .command('download <taskId> [path]')
      .description('download one file, or all of a task (or unit), to <out>/<unitKey>/<path>, checking SHA-256')
      .option('--unit <unitKey>', 'only this unit')
      .option('--out <dir>', 'directory to write into', '.')
      .option('--json', 'print JSON'),
  ).action(async (taskId: string, path: string | undefined, options: FileOptions & { out: string }) => {
    const api = await connect(options);
    const found = await resultFiles(api, taskId, options.unit);
    const chosen = path === undefined ? found : found.filter((f) => f.path === path);
    if (path !== undefined && chosen.length === 0)
      throw new ApiError(
        'NOT_FOUND',
        `task ${taskId} has no result file ${path}${options.unit === undefined ? '' : ` in unit ${options.unit}`}`,
      );
    if (path !== undefined && chosen.length > 1) {
      throw new Error(`${path} exists in units ${chosen.map((f) => f.unitKey).join(', ')}; pick one with --unit`);
    }
    // Every destination is checked before the first byte is written.
    const planned = chosen.map((file) => ({ file, destination: destinationFor(options.out, file.unitKey, file.path) }));
    const urlOf = freshUrls(found, () => resultFiles(api, taskId, options.unit));
    const outcomes: DownloadOutcome[] = [];
    for (const { file, destination } of planned) {
      const outcome = await downloadUnlessPresent(file, destination, urlOf);
      outcomes.push({ unitKey: file.unitKey, path: file.path, size: file.size, sha256: file.sha256, file: destination, outcome });
      if (options.json !== true) console.log(`${outcome.padEnd(10)}  ${destination}  (${formatBytes(file.size)})`);
    }
    if (options.json === true) console.log(JSON.stringify(outcomes, null, 2));
    else if (outcomes.length === 0) console.log('(no result files)');
  });
}

async function downloadUnlessPresent(
  file: ResultFile,
  destination: string,
  urlOf: (file: ResultFile) => Promise<string>,
): Promise<DownloadOutcome['outcome']> {
  if (await hasContent(destination, file.size, file.sha256)) return 'up to date';
  const name = `${file.unitKey}/${file.path}`;
  const bar = new ProgressBar({ name, totalBytes: file.size });
  try {
    await downloadVerified({ name, url: await urlOf(file), size: file.size, sha256: file.sha256 }, destination, (bytes) =>
      bar.advance(bytes),
    );
  } finally {
    bar.finish();
  }
  return 'downloaded';
}

/** Download URLs for files listed once, listing them again when the URLs may be close to expiring. */
function freshUrls(listed: ResultFile[], listAgain: () => Promise<ResultFile[]>): (file: ResultFile) => Promise<string> {
  let listing = { files: listed, listedAt: Date.now() };
  return async (file) => {
    if (Date.now() - listing.listedAt > URL_MAX_AGE_MS) listing = { files: await listAgain(), listedAt: Date.now() };
    return listing.files.find((f) => f.unitKey === file.unitKey && f.path === file.path)?.downloadUrl ?? file.downloadUrl;
  };
}

async function resultFiles(api: ApiClient, taskId: string, unitKey: string | undefined): Promise<ResultFile[]> {
  const { task } = await api.request<{ task: { resultFiles: ResultFile[] } | null }>(
    'query ($id: ID!, $unit: String) { task(id: $id) { resultFiles(unitKey: $unit) { unitKey path size sha256 committedAt downloadUrl } } }',
    { id: taskId, unit: unitKey },
  );
  if (task === null) throw new ApiError('NOT_FOUND', `no task ${taskId}`);
  return task.resultFiles;
}
