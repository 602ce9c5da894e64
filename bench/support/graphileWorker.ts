import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Logger, runMigrations } from 'graphile-worker';
import { createTestDatabase } from '../../test/support/postgres.js';
import type { TestDatabase } from '../../test/support/postgres.js';
import { vacuumDatabase, withDatabase } from './campaign.js';
import { cleanEnv, forkModule, stopGroup, tailOf } from './processes.js';
import type { LatencySummary } from './stats.js';

/**
 * graphile-worker, the anchor of the write-path benchmarks, in a node process of its own on a database
 * of its own (bench/support/graphileWorkerProcess.ts), as `dagkeeper server` runs in its own process:
 * each side's CPU can then be read from /proc, and neither shares the benchmark's event loop.
 */

export const graphileWorkerVersion = (createRequire(import.meta.url)('graphile-worker/package.json') as { version: string }).version;

export type AnchorCommand =
  | { op: 'drain'; count: number; concurrency: number; limitMs: number }
  | { op: 'jobSeries'; count: number; warmUp: number; payload: unknown }
  | { op: 'sets'; drivers: number; concurrency: number; perSet: number; maxSets: number; limitMs: number };

export interface AnchorReply {
  id: number;
  result?: unknown;
  error?: string;
}

export interface DrainReport {
  /** Jobs started (each once, unless `duplicates`). */
  claimed: number;
  completed: number;
  /** From the first worker's first fetch to the last job's start. */
  ms: number;
  /** Each worker's fetch to the start of the job it got. */
  latency: LatencySummary;
  duplicates: number;
}

export interface JobSeriesReport {
  latency: LatencySummary;
  ms: number;
}

export interface SetsReport {
  sets: number;
  jobs: number;
  /** From the runner's start to the last set's completion. */
  ms: number;
  /** Each set's `add_jobs` to its last job's completion. */
  latency: LatencySummary;
  duplicates: number;
}

export interface GraphileWorkerProcess {
  pid: number;
  database: TestDatabase;
  drain(count: number, concurrency: number, limitMs: number): Promise<DrainReport>;
  jobSeries(count: number, warmUp: number, payload: unknown): Promise<JobSeriesReport>;
  sets(input: { drivers: number; concurrency: number; perSet: number; maxSets: number; limitMs: number }): Promise<SetsReport>;
  /** Adds no-op jobs with graphile-worker's own bulk function (`add_jobs`) until `count` are queued; returns how many are. */
  topUp(count: number): Promise<number>;
  jobsLeft(): Promise<number>;
  /** What autovacuum would do between rounds (see vacuumAnalyze). */
  vacuum(): Promise<void>;
  stop(): Promise<void>;
}

const modulePath = fileURLToPath(new URL('./graphileWorkerProcess.ts', import.meta.url));

export async function startGraphileWorker(): Promise<GraphileWorkerProcess> {
  const database = await createTestDatabase({ migrated: false });
  await runMigrations({ connectionString: database.url, logger: new Logger(() => () => undefined) });
  const child = forkModule(modulePath, cleanEnv({ BENCH_GRAPHILE_DATABASE_URL: database.url }));
  const stderr = tailOf(child.stderr);
  let next = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const ready = new Promise<void>((resolve) => pending.set(0, { resolve: () => resolve(), reject: () => undefined }));
  child.on('message', (reply: AnchorReply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error !== undefined) waiter?.reject(new Error(`graphile-worker process: ${reply.error}`));
    else waiter?.resolve(reply.result);
  });
  const exited = once(child, 'exit');
  void exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the graphile-worker process exited; stderr: ${stderr()}`));
    pending.clear();
  });
  const call = <T>(command: AnchorCommand): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next;
      next += 1;
      pending.set(id, { resolve: (value) => resolve(value as T), reject });
      child.send({ id, command });
    });
  const stop = async () => {
    await stopGroup(child);
    await database.drop();
  };
  const jobsLeft = () =>
    withDatabase(database.url, async (client) =>
      Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM graphile_worker.jobs')).rows[0]?.n),
    );

  try {
    await Promise.race([
      ready,
      exited.then(() => Promise.reject(new Error(`the graphile-worker process exited before it was ready; stderr: ${stderr()}`))),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid: child.pid as number,
    database,
    drain: (count, concurrency, limitMs) => call({ op: 'drain', count, concurrency, limitMs }),
    jobSeries: (count, warmUp, payload) => call({ op: 'jobSeries', count, warmUp, payload }),
    sets: (input) => call({ op: 'sets', ...input }),
    topUp: async (count) => {
      const missing = Math.max(0, count - (await jobsLeft()));
      await withDatabase(database.url, async (client) => {
        await client.query(
          `SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
             SELECT json_populate_record(NULL::graphile_worker.job_spec, '{"identifier": "noop"}') FROM generate_series(1, $1::int)))`,
          [missing],
        );
      });
      return jobsLeft();
    },
    jobsLeft,
    vacuum: () => vacuumDatabase(database.url),
    stop,
  };
}
