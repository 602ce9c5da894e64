import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadClientSettings } from '../config.js';
import { ApiClient } from '../client/ApiClient.js';

export interface ConnectionOptions {
  url?: string;
  token?: string;
}

/** Adds --url and --token to a command that talks to a running server. */
export function withConnectionOptions(command: Command): Command {
  return command
    .option('--url <url>', 'server base URL (default: $DAGKEEPER_URL or http://127.0.0.1:4000)')
    .option('--token <token>', 'bearer token (default: $DAGKEEPER_TOKEN, else the local admin-token file)');
}

export async function connect(options: ConnectionOptions): Promise<ApiClient> {
  const settings = loadClientSettings();
  const url = options.url ?? settings.url;
  const token = options.token ?? settings.token ?? (await readFile(settings.adminTokenPath, 'utf8').catch(() => undefined))?.trim();
  if (token === undefined || token === '') {
    throw new Error(`no token: pass --token, set DAGKEEPER_TOKEN, or run next to a server's data folder (${settings.adminTokenPath})`);
  }
  return new ApiClient(url, token);
}
