import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from '../../src/client/ApiClient.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import type { TestDatabase } from '../../test/support/postgres.js';
import { cleanEnv, freePort, memoryOf, spawnCli, stopGroup, tailOf } from './processes.js';

/**
 * `dagkeeper server` as its own process (the compiled CLI, as operators run it) on a database of its
 * own, copied from the migrated template like a test database and dropped afterwards. Its own
 * process, so that its memory can be read from /proc and the benchmark's client work does not share
 * its event loop.
 */
export interface BenchServer {
  url: string;
  pid: number;
  database: TestDatabase;
  dataDir: string;
  /** The local object store's URL-signing key (set, so a benchmark can sign direct URLs too). */
  signingSecret: string;
  admin: ApiClient;
  memory(): Promise<{ rssBytes: number; peakRssBytes: number }>;
  /** Creates an identity through the API and returns a client holding its token. */
  identity(kind: 'USER' | 'COMPUTE', name: string, scopes: string[]): Promise<{ token: string; client: ApiClient }>;
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  /** Settings on top of the defaults, e.g. S3_ENDPOINT. */
  env?: Record<string, string>;
  /** LOG_LEVEL; `warn` by default, so per-request info lines do not cost the server time. */
  logLevel?: string;
  /**
   * Another build's `bin/dagkeeper.js` (built), to compare it with this one; this checkout's by default.
   * Its server migrates its database with its own migrations.
   */
  cli?: string;
}

export async function startBenchServer(options: BenchServerOptions = {}): Promise<BenchServer> {
  // Another build may have other migrations: its server migrates an empty database itself.
  const database = await createTestDatabase({ migrated: options.cli === undefined });
  return (await startServer(database, options)) as BenchServer;
}

/** The server at its embedded default, as `npm start` runs it: PGlite and local objects in its data folder. */
export type EmbeddedBenchServer = Omit<BenchServer, 'database'>;

export function startEmbeddedBenchServer(options: BenchServerOptions = {}): Promise<EmbeddedBenchServer> {
  return startServer(undefined, options);
}

async function startServer(
  database: TestDatabase | undefined,
  options: BenchServerOptions,
): Promise<EmbeddedBenchServer & { database?: TestDatabase }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dagkeeper-bench-'));
  const signingSecret = randomBytes(24).toString('hex');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnCli(
    ['server'],
    cleanEnv({
      PORT: String(port),
      HOST: '127.0.0.1',
      DAGKEEPER_DATA: dataDir,
      // Embedded: PGlite in the data folder, migrated on start as `npm start` does.
      ...(database === undefined
        ? {}
        : { DATABASE_URL: database.url, DAGKEEPER_MIGRATE_ON_START: options.cli === undefined ? 'false' : 'true' }),
      DAGKEEPER_SIGNING_SECRET: signingSecret,
      LOG_LEVEL: options.logLevel ?? 'warn',
      ...options.env,
    }),
    options.cli,
  );
  const stderr = tailOf(child.stderr);
  const stdout = tailOf(child.stdout);
  const cleanUp = async () => {
    await stopGroup(child);
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitUntilHealthy(
      url,
      () => child.exitCode !== null,
      () => `stdout: ${stdout()}\nstderr: ${stderr()}`,
    );
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const admin = new ApiClient(url, adminToken);
    return {
      url,
      pid: child.pid as number,
      ...(database === undefined ? {} : { database }),
      dataDir,
      signingSecret,
      admin,
      memory: () => memoryOf(child.pid as number),
      identity: async (kind, name, scopes) => {
        const { createIdentity } = await admin.request<{ createIdentity: { token: string } }>(
          'mutation ($input: CreateIdentityInput!) { createIdentity(input: $input) { token } }',
          { input: { kind, name, scopes } },
        );
        return { token: createIdentity.token, client: new ApiClient(url, createIdentity.token) };
      },
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function waitUntilHealthy(url: string, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`the server exited before it was healthy\n${output()}`);
    const status = await fetch(`${url}/healthz`).then(
      (r) => r.arrayBuffer().then(() => r.status),
      () => 0,
    );
    if (status === 200) return;
    await sleep(100);
  }
  throw new Error(`the server was not healthy within 60 s\n${output()}`);
}
