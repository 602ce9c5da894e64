import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { writeSubmittedNetwork } from '../../client/networkDocument.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { progressBarFor } from '../progressBar.js';

interface GetOptions extends ConnectionOptions {
  output?: string;
  progress?: boolean;
}

/**
 * `network get KEY [--output FILE]`: the network as `network create` was given it, input objects put
 * back in place of their references. A file is written under a temporary name and takes its own only
 * when whole, so a failed download never leaves a file that looks finished.
 */
export function registerNetworkGetCommand(network: Command): void {
  withConnectionOptions(
    network
      .command('get <networkKey>')
      .description('write the network as submitted (JSON, chemical systems and transformations by name, input objects put back)')
      .option('--output <file>', 'write to this file instead of stdout')
      .option('--progress', 'draw the download progress bar even when stderr is not a terminal'),
  ).action(async (networkKey: string, options: GetOptions) => {
    const api = await connect(options);
    const progress = progressBarFor('inputs', options.progress === true);
    try {
      if (options.output === undefined) {
        await writeSubmittedNetwork(api, networkKey, process.stdout, { progress });
        return;
      }
      const partial = `${options.output}.part`;
      const out = createWriteStream(partial);
      try {
        await writeSubmittedNetwork(api, networkKey, out, { progress });
        out.end();
        await finished(out);
        await rename(partial, options.output);
      } catch (error) {
        out.destroy();
        await rm(partial, { force: true });
        throw error;
      }
    } finally {
      progress.finish();
    }
  });
}
