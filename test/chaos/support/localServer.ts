import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../../src/storage/objects/LocalObjectStore.js';
import { openStateStore } from '../../../src/storage/state/openStateStore.js';
import type { StateStore } from '../../../src/storage/state/openStateStore.js';
import { stopChild, trackStoppable } from '../../support/leftovers.js';
import { createTestDatabase } from '../../support/postgres.js';
import type { TestDatabase } from '../../support/postgres.js';
import type { NamedWorker } from './campaign.js';
import { startRestartableServer } from './processes.js';
import type { RestartableServer } from './processes.js';

export const MIB = 1024 * 1024;

/**
 * A server process on the shared PostgreSQL (a database of its own) and the local object store, with
 * the test's own view of both: the state store, and the store's directory read directly.
 */
export interface LocalServerRig {
  server: RestartableServer;
  dataDir: string;
  objectsRoot: string;
  state: StateStore;
  objects: LocalObjectStore;
  workers: NamedWorker[];
  /** Part files of multipart uploads in progress, by upload id. */
  multipartParts(): Promise<Map<string, string[]>>;
  close(): Promise<void>;
}

export async function startLocalServerRig(name: string, env: Record<string, string>): Promise<LocalServerRig> {
  const cwd = await mkdtemp(join(tmpdir(), `dagkeeper-chaos-${name}-`));
  let database: TestDatabase | undefined;
  try {
    database = await createTestDatabase();
    const server = await startRestartableServer(cwd, { DATABASE_URL: database.url, ...env });
    const dataDir = join(cwd, '.dagkeeper');
    const objectsRoot = join(dataDir, 'objects');
    const state = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 4 });
    const signingSecret = (await readFile(join(dataDir, 'signing-secret'), 'utf8')).trim();
    const objects = new LocalObjectStore({ root: objectsRoot, publicBaseUrl: server.url, signingSecret });
    const workers: NamedWorker[] = [];
    const owned = database;
    return {
      server,
      dataDir,
      objectsRoot,
      state,
      objects,
      workers,
      multipartParts: async () => {
        const uploads = new Map<string, string[]>();
        for (const id of await readdir(join(objectsRoot, '.multipart')).catch(() => [])) {
          const names = await readdir(join(objectsRoot, '.multipart', id)).catch(() => []);
          uploads.set(
            id,
            names.filter((n) => n.startsWith('part-')),
          );
        }
        return uploads;
      },
      close: trackStoppable(`chaos rig "${name}" (server ${server.url}, its workers, state store and database)`, async () => {
        await Promise.all(workers.map((worker) => stopChild(worker.process.child, { signal: 'SIGKILL' })));
        await server.stop().catch(() => undefined);
        await state.close();
        await owned.drop();
        await rm(cwd, { recursive: true, force: true });
      }),
    };
  } catch (error) {
    await database?.drop();
    await rm(cwd, { recursive: true, force: true });
    throw error;
  }
}
