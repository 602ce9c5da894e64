import { EventEmitter } from 'node:events';
import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import type { Runner, WorkerEvents } from 'graphile-worker';
import pg from 'pg';
import type { AnchorCommand, AnchorReply, DrainReport, JobSeriesReport, SetsReport } from './graphileWorker.js';
import { nowMs, summarize } from './stats.js';

/**
 * The anchor of the write-path benchmarks: graphile-worker in a node process of its own, as it runs in
 * production (and as `dagkeeper server` runs in the benchmarks), driven by the benchmark over IPC
 * (bench/support/graphileWorker.ts). One pool of 10 connections, like dagkeeper's, is opened at start
 * and kept across rounds, so a round does not pay for connecting; each round starts graphile-worker's
 * runner on it and stops it at the end.
 */

const url = process.env.BENCH_GRAPHILE_DATABASE_URL;
if (url === undefined) throw new Error('BENCH_GRAPHILE_DATABASE_URL is not set');
const pool = new pg.Pool({ connectionString: url, max: 10 });
const logger = new Logger(() => () => undefined);
const noop = async () => undefined;

function startRunner(concurrency: number, events: WorkerEvents): Promise<Runner> {
  return run({ pgPool: pool, concurrency, noHandleSignals: true, pollInterval: 1000, logger, events, taskList: { noop } });
}

/** Works through `count` queued jobs, or until `limitMs` passes. */
async function drain(count: number, concurrency: number, limitMs: number): Promise<DrainReport> {
  const events = new EventEmitter() as WorkerEvents;
  const askedAt = new Map<string, number>();
  const latencies: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let firstAsk = Number.NaN;
  let lastStart = 0;
  let completed = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  events.on('worker:getJob:start', ({ worker }) => {
    const at = nowMs();
    if (Number.isNaN(firstAsk)) firstAsk = at;
    askedAt.set(worker.workerId, at);
  });
  events.on('job:start', ({ worker, job }) => {
    const at = nowMs();
    lastStart = at;
    latencies.push(at - (askedAt.get(worker.workerId) ?? at));
    const id = String(job.id);
    if (seen.has(id)) duplicates += 1;
    seen.add(id);
  });
  events.on('job:complete', () => {
    completed += 1;
    if (completed === count) finish();
  });
  const runner = await startRunner(concurrency, events);
  const timer = setTimeout(finish, limitMs);
  await done;
  clearTimeout(timer);
  await runner.stop();
  const claimed = seen.size + duplicates;
  const ms = lastStart - firstAsk;
  return { claimed, completed, ms, latency: summarize(latencies), duplicates };
}

/** `addJob` one call after another, each timed. */
async function jobSeries(count: number, warmUp: number, payload: (i: number) => unknown): Promise<JobSeriesReport> {
  const utils = await makeWorkerUtils({ pgPool: pool, logger });
  try {
    const latencies: number[] = [];
    let measuredFrom = Number.NaN;
    for (let i = 0; i < warmUp + count; i += 1) {
      const started = nowMs();
      if (i === warmUp) measuredFrom = started;
      await utils.addJob('unit-result', payload(i));
      if (i >= warmUp) latencies.push(nowMs() - started);
    }
    return { latency: summarize(latencies), ms: nowMs() - measuredFrom };
  } finally {
    await utils.release();
  }
}

/**
 * `drivers` loops, each adding a set of `perSet` jobs with one `add_jobs` call and waiting until the
 * runner (concurrency `concurrency`) has completed all of them, then the next set, until `maxSets` sets
 * have been added or `limitMs` has passed.
 */
async function sets(input: {
  drivers: number;
  concurrency: number;
  perSet: number;
  maxSets: number;
  limitMs: number;
}): Promise<SetsReport> {
  const events = new EventEmitter() as WorkerEvents;
  const completed = new Set<string>();
  const waiting = new Map<string, () => void>();
  const started = new Set<string>();
  let duplicates = 0;
  events.on('job:start', ({ job }) => {
    const id = String(job.id);
    if (started.has(id)) duplicates += 1;
    started.add(id);
  });
  events.on('job:complete', ({ job }) => {
    const id = String(job.id);
    completed.add(id);
    waiting.get(id)?.();
    waiting.delete(id);
  });
  const completion = (id: string) => (completed.has(id) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(id, resolve)));

  const runner = await startRunner(input.concurrency, events);
  const latencies: number[] = [];
  let added = 0;
  let lastDone = 0;
  const begin = nowMs();
  const deadline = begin + input.limitMs;
  try {
    await Promise.all(
      Array.from({ length: input.drivers }, async (_, driver) => {
        while (added < input.maxSets && nowMs() < deadline) {
          const set = added;
          added += 1;
          const setStarted = nowMs();
          const { rows } = await pool.query<{ id: string }>(
            `SELECT id FROM graphile_worker.add_jobs(ARRAY(
               SELECT json_populate_record(NULL::graphile_worker.job_spec,
                        json_build_object('identifier', 'noop', 'payload', json_build_object('driver', $1::int, 'set', $2::int, 'unit', u)))
                 FROM generate_series(1, $3::int) AS u))`,
            [driver, set, input.perSet],
          );
          await Promise.all(rows.map((r) => completion(String(r.id))));
          lastDone = nowMs();
          latencies.push(lastDone - setStarted);
        }
      }),
    );
  } finally {
    await runner.stop();
  }
  return { sets: latencies.length, jobs: completed.size, ms: lastDone - begin, latency: summarize(latencies), duplicates };
}

async function handle(command: AnchorCommand): Promise<unknown> {
  switch (command.op) {
    case 'drain':
      return drain(command.count, command.concurrency, command.limitMs);
    case 'jobSeries':
      return jobSeries(command.count, command.warmUp, (i) => ({ ...(command.payload as object), i }));
    case 'sets':
      return sets(command);
  }
}

process.on('message', (message: { id: number; command: AnchorCommand }) => {
  handle(message.command).then(
    (result) => process.send?.({ id: message.id, result } satisfies AnchorReply),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies AnchorReply),
  );
});

// The benchmark stops this process with SIGTERM; close the pool's connections first.
process.once('SIGTERM', () => {
  void pool.end().finally(() => process.exit(0));
});
process.once('disconnect', () => {
  void pool.end().finally(() => process.exit(0));
});
process.send?.({ id: 0, result: 'ready' } satisfies AnchorReply);
