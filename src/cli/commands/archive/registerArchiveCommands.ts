import type { Command } from 'commander';
import { connect, withConnectionOptions } from '../../connection.js';
import type { ConnectionOptions } from '../../connection.js';
import { formatBytes } from '../../progressBar.js';
import { openArchive } from './archiveSource.js';
import { directorySink, tarSink } from './archiveSink.js';
import { exportNetwork } from './exportNetwork.js';
import { importNetwork } from './importNetwork.js';

interface ExportOptions extends ConnectionOptions {
  out: string;
  files?: boolean;
  singleFile?: boolean;
  json?: boolean;
}

/** `network export` and `network import`: a campaign archived, and moved to another server (docs/archive.md). */
export function registerNetworkArchiveCommands(network: Command): void {
  withConnectionOptions(
    network
      .command('export <networkKey>')
      .description(
        'archive a network: its input and the input objects it refers to, every task with its ProtocolDAG, unit results (with logs), ProtocolDAGResult documents and ResultFile manifest',
      )
      .requiredOption(
        '--out <path>',
        'directory to write (manifest.json, tasks/, inputs/, files/), or with --single-file the archive file (a tar)',
      )
      .option('--files', "include the ResultFiles' bytes (downloaded with their SHA-256 checked), under files/<sha256>")
      .option('--single-file', 'write one tar file instead of a directory')
      .option('--json', 'print a JSON summary'),
  ).action(async (networkKey: string, options: ExportOptions) => {
    const api = await connect(options);
    const sink = options.singleFile === true ? await tarSink(options.out) : await directorySink(options.out);
    let summary;
    try {
      summary = await exportNetwork(api, networkKey, sink, { withFiles: options.files === true });
    } catch (error) {
      await sink.abort();
      throw error;
    }
    if (options.json === true) console.log(JSON.stringify({ out: options.out, ...summary }, null, 2));
    else {
      const files =
        options.files === true
          ? `${summary.filesIncluded} files (${formatBytes(summary.bytesIncluded)})`
          : `a manifest of ${summary.files} files`;
      const inputs = `${summary.inputs} input objects (${formatBytes(summary.inputBytes)})`;
      console.log(`exported ${summary.tasks} tasks, ${inputs} and ${files} to ${options.out}`);
    }
  });

  withConnectionOptions(
    network
      .command('import <path>')
      .description('load an archive written by `network export` into this server (importing it again changes nothing)')
      .option('--scope <scope>', 'scope to import into (default: the one it was exported from)')
      .option('--json', 'print JSON'),
  ).action(async (path: string, options: ConnectionOptions & { scope?: string; json?: boolean }) => {
    const archive = await openArchive(path);
    const api = await connect(options);
    const summary = await importNetwork(api, archive, {
      scope: options.scope,
      onTask: (line) => {
        if (options.json !== true) {
          console.log(
            `${line.created ? 'imported' : 'already there'}  ${line.sourceTaskId} -> ${line.taskId}${line.files > 0 ? `  (${line.files} files)` : ''}`,
          );
        }
      },
    });
    if (options.json === true) {
      console.log(JSON.stringify(summary, null, 2));
      return;
    }
    const made = summary.tasks.filter((t) => t.created).length;
    const inputs = summary.inputs.total === 0 ? '' : `; ${summary.inputs.total} input objects, ${summary.inputs.sent} sent`;
    console.log(
      `network ${summary.networkKey} (${summary.networkCreated ? 'created' : 'existed'}): ${made} tasks imported, ${summary.tasks.length - made} already there${inputs}`,
    );
  });
}
