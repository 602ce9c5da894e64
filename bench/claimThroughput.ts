import { EventEmitter } from 'node:events';
import { Logger, run, runMigrations } from 'graphile-worker';
import type { WorkerEvents } from 'graphile-worker';
import { createTestDatabase } from '../test/support/postgres.js';
import type { Benchmark, BenchContext, BenchResult, Check } from './support/benchmark.js';
import { fmtMs, fmtRate, fmtRatio } from './support/benchmark.js';
import {
  claim,
  countTasks,
  createNetwork,
  insertWaitingTasks,
  keepAlive,
  registerService,
  releasedClaims,
  tasksClaimedTwice,
  vacuumAnalyze,
  withDatabase,
} from './support/campaign.js';
import { startBenchServer } from './support/server.js';
import type { BenchServer } from './support/server.js';
import { median, nowMs, summarize } from './support/stats.js';
import type { LatencySummary } from './support/stats.js';

/**
 * 1. Claim throughput: N actioned tasks claimed by 8 concurrent claimers through the GraphQL API,
 * against graphile-worker running N jobs with 8 concurrent workers on the same PostgreSQL.
 */

const protocol = 'bench-noop';
/** Tasks per request in the supplementary round (a compute service with that many free slots). */
const perRequestSupplementary = 4;
const transformationName = 'claim-throughput';

interface DrainResult {
  /** Waiting when the drain started. */
  queued: number;
  claimed: number;
  ms: number;
  perSecond: number;
  latency: LatencySummary;
  /** Ids handed out more than once. */
  duplicates: number;
  /** True when the time limit ended the drain before the queue was empty. */
  stoppedByTimeLimit: boolean;
}

export const claimThroughput: Benchmark = {
  id: 1,
  name: 'claim',
  title: 'Claim throughput',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { claimTasks: tasks, claimWarmUpTasks: warmUp, claimers, claimRounds: rounds, claimSeconds } = ctx.scale;
    const limitMs = claimSeconds * 1000;

    const dagkeeper: DrainResult[] = [];
    let supplementary: DrainResult | undefined;
    const checks: Check[] = [];
    const server = await startBenchServer();
    const heartbeats: NodeJS.Timeout[] = [];
    try {
      const { client: user } = await server.identity('USER', 'bench-user', ['bench-claims-run']);
      const { client: compute } = await server.identity('COMPUTE', 'bench-cluster', ['bench-*-*']);
      await createNetwork(user, 'bench-claims-run', 'claim throughput', [{ name: transformationName, protocol, settings: {} }]);
      const services = await Promise.all(Array.from({ length: claimers }, (_, i) => registerService(compute, `claimer-${i}`)));
      // Topping up between rounds must not outlast the claimers' expiry: they heartbeat like workers.
      heartbeats.push(...services.map((id) => keepAlive(compute, id)));
      const drain = (queued: number, perRequest = 1) =>
        drainDagkeeper(
          queued,
          services.map((id) => () => claim(compute, id, [protocol], perRequest)),
          limitMs,
        );
      const topUp = async () => {
        ctx.log(`dagkeeper: topping up to ${tasks.toLocaleString('en-US')} waiting tasks`);
        await insertWaitingTasks(server.database.url, transformationName, tasks - (await countTasks(server.database.url, 'WAITING')));
      };

      ctx.log(`dagkeeper: warm-up, ${warmUp} tasks`);
      await insertWaitingTasks(server.database.url, transformationName, warmUp);
      const warmUpClaimed = (await drain(warmUp)).claimed;
      for (let round = 0; round < rounds; round += 1) {
        await topUp();
        ctx.log(`dagkeeper: round ${round + 1}/${rounds}, ${claimers} claimers, at most ${claimSeconds} s`);
        dagkeeper.push(await drain(tasks));
        ctx.log(
          `dagkeeper: ${dagkeeper.at(-1)!.claimed.toLocaleString('en-US')} claimed, ${fmtRate(dagkeeper.at(-1)!.perSecond, 'tasks')}`,
        );
      }
      // Supplementary, not the target: the same claimers asking for several tasks per request, as a compute service with several slots does.
      await topUp();
      ctx.log(
        `dagkeeper: supplementary round, ${claimers} claimers asking for ${perRequestSupplementary} tasks per request, at most ${claimSeconds} s`,
      );
      supplementary = await drain(tasks, perRequestSupplementary);
      ctx.log(`dagkeeper: ${supplementary.claimed.toLocaleString('en-US')} claimed, ${fmtRate(supplementary.perSecond, 'tasks')}`);
      const claimed = warmUpClaimed + dagkeeper.reduce((sum, r) => sum + r.claimed, 0) + supplementary.claimed;
      checks.push(...(await claimChecksInDatabase(server, claimed)));
    } finally {
      for (const timer of heartbeats) clearInterval(timer);
      await server.stop();
    }

    const anchor: DrainResult[] = [];
    const database = await createTestDatabase({ migrated: false });
    try {
      const logger = new Logger(() => () => undefined);
      await runMigrations({ connectionString: database.url, logger });
      ctx.log(`graphile-worker: warm-up, ${warmUp} jobs`);
      await addGraphileJobs(database.url, warmUp);
      await drainGraphile(database.url, warmUp, claimers, logger, limitMs);
      for (let round = 0; round < rounds; round += 1) {
        // Topped up to the same queue as dagkeeper's rounds, not added on top of what a time-limited round left.
        const queued = await addGraphileJobs(database.url, Math.max(0, tasks - (await graphileJobsLeft(database.url))));
        await vacuumAnalyze(database.url, ['graphile_worker._private_jobs', 'graphile_worker._private_job_queues']);
        ctx.log(`graphile-worker: round ${round + 1}/${rounds}, concurrency ${claimers}, at most ${claimSeconds} s`);
        const result = await drainGraphile(database.url, queued, claimers, logger, limitMs);
        anchor.push(result);
        const left = await graphileJobsLeft(database.url);
        checks.push({
          name: `graphile-worker round ${round + 1}: every job ran once or is still queued`,
          ok: left + result.claimed === queued,
          detail: `${result.claimed} ran + ${left} queued of ${queued}`,
        });
      }
    } finally {
      await database.drop();
    }

    const rate = median(dagkeeper.map((r) => r.perSecond));
    const anchorRate = median(anchor.map((r) => r.perSecond));
    const ratio = rate / anchorRate;
    const p50 = median(dagkeeper.map((r) => r.latency.p50));
    const p99 = median(dagkeeper.map((r) => r.latency.p99));
    const anchorP50 = median(anchor.map((r) => r.latency.p50));
    const anchorP99 = median(anchor.map((r) => r.latency.p99));
    const claimed = median(dagkeeper.map((r) => r.claimed));
    const anchorClaimed = median(anchor.map((r) => r.claimed));
    const duplicates = [...dagkeeper, ...(supplementary === undefined ? [] : [supplementary])].reduce((sum, r) => sum + r.duplicates, 0);
    const anchorDuplicates = anchor.reduce((sum, r) => sum + r.duplicates, 0);
    const n = tasks.toLocaleString('en-US');
    const notes = dagkeeper.some((r) => r.stoppedByTimeLimit)
      ? [
          `The ${claimSeconds} s limit ended dagkeeper's rounds after ${claimed.toLocaleString('en-US')} of ${n} claims (median): throughput is over that window, with the hub holding between ${n} and ${(tasks - claimed).toLocaleString('en-US')} waiting tasks. The limit keeps the run bounded; a claim costs the same however many tasks wait (benchmark 2).`,
        ]
      : [];
    return {
      anchor: `graphile-worker 0.16.6, ${claimers} concurrent workers, same PostgreSQL`,
      howMeasured: [
        `${n} WAITING tasks (bulk-inserted with SQL and actioned on one hub) are claimed by ${claimers} compute services, each a loop of ` +
          '`claimTasks(count: 1)` over HTTP to a separate `dagkeeper server` process (PostgreSQL, default settings, LOG_LEVEL=warn), until the API answers with no task ' +
          `or ${claimSeconds} s have passed. Throughput is tasks claimed divided by the time from the first request to the last claim; latency is each request's round trip. ` +
          `A warm-up of ${warmUp} tasks, then ${rounds} round(s), each topped up to ${n} waiting tasks first (graphile-worker's rounds likewise to ${n} queued jobs), ` +
          "then both queues' tables vacuumed and analyzed, as autovacuum would between rounds on a live system (see the PostgreSQL line above for whether it is on here); medians over the rounds.",
        `Anchor: graphile-worker's own runner (\`run()\`, concurrency ${claimers}, a no-op task, a pool of 10 connections like dagkeeper's, logging off) works through ${n} jobs added with \`add_jobs\` ` +
          `to a database of its own on the same server, under the same time limit. Its claim latency is the time from each worker's \`worker:getJob:start\` to its \`job:start\` event. ` +
          "Each graphile-worker job also runs the no-op and `complete_job`, which a dagkeeper claim does not; each dagkeeper claim goes through HTTP, GraphQL and token authentication, which graphile-worker's do not.",
        `The target is measured with one task per request, like graphile-worker's one job per slot. A supplementary round (not part of the target) lets the same claimers ask for ${perRequestSupplementary} tasks per request, as a compute service with that many free slots does. ` +
          "The server runs at its defaults, as in production: a worker's token lookup is reused for 1 s (DAGKEEPER_TOKEN_REUSE_MS) and its check-in for up to 1 s (src/domain/claims/RecentCheckIns.ts), while the claim statement itself refuses services that are gone, silent or failing; requests that arrive together share one statement per token lookup, check-in and hub (src/domain/Coalescer.ts).",
        'Double claims are counted twice: ids handed out more than once across all claimers, and in the database (a task claimed again while its earlier claim was still held; RUNNING tasks against claims handed out).',
      ],
      rows: [
        {
          metric: 'throughput',
          dagkeeper: fmtRate(rate, 'tasks'),
          anchor: fmtRate(anchorRate, 'jobs'),
          ratio: `${fmtRatio(ratio)} (higher is better)`,
        },
        {
          metric: 'claim latency p50',
          dagkeeper: fmtMs(p50),
          anchor: fmtMs(anchorP50),
          ratio: `${fmtRatio(p50 / anchorP50)} (lower is better)`,
        },
        {
          metric: 'claim latency p99',
          dagkeeper: fmtMs(p99),
          anchor: fmtMs(anchorP99),
          ratio: `${fmtRatio(p99 / anchorP99)} (lower is better)`,
        },
        {
          metric: 'claimed per round',
          dagkeeper: `${claimed.toLocaleString('en-US')} of ${n}`,
          anchor: `${anchorClaimed.toLocaleString('en-US')} of ${n}`,
          ratio: '',
        },
        { metric: 'double claims', dagkeeper: String(duplicates), anchor: String(anchorDuplicates), ratio: '' },
        ...(supplementary === undefined
          ? []
          : [
              {
                metric: `supplementary (no target): ${perRequestSupplementary} tasks per request`,
                dagkeeper: `${fmtRate(supplementary.perSecond, 'tasks')}, request p50 ${fmtMs(supplementary.latency.p50)}, one round`,
                anchor: fmtRate(anchorRate, 'jobs'),
                ratio: `${fmtRatio(supplementary.perSecond / anchorRate)} (higher is better)`,
              },
            ]),
      ],
      verdicts: [{ target: "≥ 0.5× graphile-worker's throughput", pass: ratio >= 0.5, detail: fmtRatio(ratio) }],
      checks: [
        {
          name: 'no task handed out twice (API answers)',
          ok: duplicates === 0,
          detail: `${duplicates} task ids handed out more than once`,
        },
        {
          name: 'no job started twice by graphile-worker',
          ok: anchorDuplicates === 0,
          detail: `${anchorDuplicates} job ids started more than once`,
        },
        ...checks,
      ],
      raw: {
        tasks,
        warmUp,
        claimers,
        claimSeconds,
        dagkeeper,
        supplementary: { perRequest: perRequestSupplementary, ...supplementary },
        graphileWorker: anchor,
      },
      notes,
    };
  },
};

/** Runs every claimer until it is answered with nothing twice in a row, or the time limit passes. */
async function drainDagkeeper(
  queued: number,
  claimers: Array<() => Promise<Array<{ taskId: string }>>>,
  limitMs: number,
): Promise<DrainResult> {
  const latencies: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let lastClaimAt = 0;
  const started = nowMs();
  const deadline = started + limitMs;
  await Promise.all(
    claimers.map(async (claimOnce) => {
      for (let empty = 0; empty < 2 && nowMs() < deadline;) {
        const before = nowMs();
        const claimed = await claimOnce();
        const after = nowMs();
        if (claimed.length === 0) {
          empty += 1;
          continue;
        }
        empty = 0;
        latencies.push(after - before);
        lastClaimAt = Math.max(lastClaimAt, after);
        for (const { taskId } of claimed) {
          if (seen.has(taskId)) duplicates += 1;
          seen.add(taskId);
        }
      }
    }),
  );
  const claimed = seen.size + duplicates;
  const ms = lastClaimAt - started;
  return {
    queued,
    claimed,
    ms,
    perSecond: claimed / (ms / 1000),
    latency: summarize(latencies),
    duplicates,
    stoppedByTimeLimit: claimed < queued,
  };
}

async function claimChecksInDatabase(server: BenchServer, claimed: number): Promise<Check[]> {
  const running = await countTasks(server.database.url, 'RUNNING');
  const doubled = await tasksClaimedTwice(server.database.url);
  const released = await releasedClaims(server.database.url);
  const claims = await withDatabase(server.database.url, async (client) =>
    Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM "Claim"')).rows[0]?.n),
  );
  return [
    {
      name: 'no task held by two claims at once (database)',
      ok: doubled === 0,
      detail: `${doubled} tasks claimed again while still held; ${released} claims released by a requeue`,
    },
    {
      name: 'every claim handed out is one RUNNING task (database)',
      ok: running === claimed && claims === claimed,
      detail: `${claimed} claims handed out, ${claims} Claim rows, ${running} tasks RUNNING`,
    },
  ];
}

/** Adds jobs with graphile-worker's own bulk function; returns how many are queued now. */
async function addGraphileJobs(url: string, count: number): Promise<number> {
  await withDatabase(url, async (client) => {
    await client.query(
      `SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
         SELECT json_populate_record(NULL::graphile_worker.job_spec, '{"identifier": "noop"}') FROM generate_series(1, $1::int)))`,
      [count],
    );
  });
  return graphileJobsLeft(url);
}

async function graphileJobsLeft(url: string): Promise<number> {
  return withDatabase(url, async (client) =>
    Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM graphile_worker.jobs')).rows[0]?.n),
  );
}

/** graphile-worker's runner until it has completed `count` jobs or the time limit passes. */
async function drainGraphile(url: string, count: number, concurrency: number, logger: Logger, limitMs: number): Promise<DrainResult> {
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
  const runner = await run({
    connectionString: url,
    concurrency,
    maxPoolSize: 10,
    noHandleSignals: true,
    pollInterval: 1000,
    logger,
    events,
    taskList: { noop: async () => undefined },
  });
  const timer = setTimeout(finish, limitMs);
  await done;
  clearTimeout(timer);
  await runner.stop();
  const claimed = seen.size + duplicates;
  const ms = lastStart - firstAsk;
  return {
    queued: count,
    claimed,
    ms,
    perSecond: claimed / (ms / 1000),
    latency: summarize(latencies),
    duplicates,
    stoppedByTimeLimit: completed < count,
  };
}
