import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { trackStoppable } from '../../support/leftovers.js';
import { freePort } from './processes.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of its own, for a test that restarts the database: never the shared one on 5432
 * that every other test file uses. initdb into a temporary folder, started on a free loopback port
 * with its socket in that folder. PostgreSQL refuses to run as root, so as root it runs as `postgres`.
 */
export interface PostgresCluster {
  url: string;
  /** Stops the server (`fast`: sessions are ended; `immediate`: as if it crashed), waits, starts it again. */
  restart(mode: 'fast' | 'immediate', downMs: number): Promise<void>;
  /** Stops the server and leaves it down (connections are refused) until `start`. */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = await postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const folder = await mkdtemp(join(tmpdir(), 'dagkeeper-chaos-pg-'));
  if (asRoot) {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    await chown(folder, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
  }
  const pg = (program: string, args: string[]) =>
    asRoot
      ? run(existsSync('/usr/sbin/runuser') ? '/usr/sbin/runuser' : 'runuser', ['-u', 'postgres', '--', join(bin, program), ...args])
      : run(join(bin, program), args);
  const data = join(folder, 'data');
  const port = await freePort();
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const start = () => pg('pg_ctl', ['-D', data, '-l', join(folder, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate') => pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);

  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  await start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    restart: async (mode, downMs) => {
      await stop(mode);
      await sleep(downMs);
      await start();
    },
    stop: async (mode) => {
      await stop(mode);
    },
    start: async () => {
      await start();
    },
    destroy: trackStoppable(`PostgreSQL cluster on port ${port}`, async () => {
      await stop('immediate').catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    }),
  };
}

/** PG_BINDIR, or the newest Debian-packaged PostgreSQL. */
async function postgresBinDir(): Promise<string> {
  if (process.env.PG_BINDIR !== undefined) return process.env.PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? (await readdir(root)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
  if (found === undefined) throw new Error(`no PostgreSQL server binaries under ${root}; set PG_BINDIR`);
  return found;
}
