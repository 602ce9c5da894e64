import type { Benchmark, BenchContext, BenchResult, Check } from './support/benchmark.js';
import { fmtCpuMs, fmtMs, fmtRate, fmtRatio, fmtSpread } from './support/benchmark.js';
import {
  claim,
  countTasks,
  createNetwork,
  insertWaitingTasks,
  keepAlive,
  registerService,
  releasedClaims,
  tasksClaimedTwice,
  vacuumDatabase,
  withDatabase,
} from './support/campaign.js';
import { openCpuMeter, perOperation } from './support/cpu.js';
import type { CpuMeter, CpuUse } from './support/cpu.js';
import { cpuRows } from './support/cpuRows.js';
import { graphileWorkerVersion, startGraphileWorker } from './support/graphileWorker.js';
import type { GraphileWorkerProcess } from './support/graphileWorker.js';
import { startBenchServer } from './support/server.js';
import type { BenchServer } from './support/server.js';
import { median, nowMs, pairedRatios, spread, summarize } from './support/stats.js';
import type { LatencySummary } from './support/stats.js';

/**
 * 1. Claim throughput: N actioned tasks claimed by 8 concurrent claimers through the GraphQL API of a
 * `dagkeeper server` process, against graphile-worker in a process of its own running N jobs with 8
 * concurrent workers on the same PostgreSQL. Rounds alternate (dagkeeper, graphile-worker, dagkeeper
 * with 4 tasks per request, …), each on a topped-up queue and vacuumed tables, each with its CPU.
 */

const protocol = 'bench-noop';
/** Tasks per request in the batched rows (a compute service with that many free slots). */
const perRequestBatched = 4;
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
  /** CPU over the whole drain, and per task (job) claimed. */
  cpu: CpuUse;
  cpuPerClaim: CpuUse;
}

export const claimThroughput: Benchmark = {
  id: 1,
  name: 'claim',
  title: 'Claim throughput',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { claimTasks: tasks, claimWarmUpTasks: warmUp, claimers, claimRounds: rounds, claimSeconds } = ctx.scale;
    const limitMs = claimSeconds * 1000;

    const single: DrainResult[] = [];
    const batched: DrainResult[] = [];
    const anchor: DrainResult[] = [];
    const checks: Check[] = [];
    const heartbeats: NodeJS.Timeout[] = [];
    const meters: CpuMeter[] = [];
    let server: BenchServer | undefined;
    let graphile: GraphileWorkerProcess | undefined;
    try {
      server = await startBenchServer();
      graphile = await startGraphileWorker();
      const dk = server;
      const gw = graphile;
      const { client: user } = await dk.identity('USER', 'bench-user', ['bench-claims-run']);
      const { client: compute } = await dk.identity('COMPUTE', 'bench-cluster', ['bench-*-*']);
      await createNetwork(user, 'bench-claims-run', 'claim throughput', [{ name: transformationName, protocol, settings: {} }]);
      const services = await Promise.all(Array.from({ length: claimers }, (_, i) => registerService(compute, `claimer-${i}`)));
      // Topping up between rounds must not outlast the claimers' expiry: they heartbeat like workers.
      heartbeats.push(...services.map((id) => keepAlive(compute, id)));
      const dkMeter = await openCpuMeter({ pid: dk.pid, databases: [dk.database.name] });
      const gwMeter = await openCpuMeter({ pid: gw.pid, databases: [gw.database.name] });
      meters.push(dkMeter, gwMeter);

      const dagkeeperRound = async (queued: number, perRequest: number) => {
        const { value, cpu } = await dkMeter.measure(() =>
          drainDagkeeper(
            queued,
            services.map((id) => () => claim(compute, id, [protocol], perRequest)),
            limitMs,
          ),
        );
        return { ...value, cpu, cpuPerClaim: perOperation(cpu, value.claimed) };
      };
      const topUpDagkeeper = async () => {
        await insertWaitingTasks(dk.database.url, transformationName, tasks - (await countTasks(dk.database.url, 'WAITING')));
        await vacuumDatabase(dk.database.url);
      };
      const graphileRound = async (queued: number): Promise<DrainResult> => {
        const { value, cpu } = await gwMeter.measure(() => gw.drain(queued, claimers, limitMs));
        const left = await gw.jobsLeft();
        checks.push({
          name: `graphile-worker round ${anchor.length + 1}: every job ran once or is still queued`,
          ok: left + value.completed === queued,
          detail: `${value.completed} ran + ${left} queued of ${queued}`,
        });
        return {
          queued,
          claimed: value.claimed,
          ms: value.ms,
          perSecond: value.claimed / (value.ms / 1000),
          latency: value.latency,
          duplicates: value.duplicates,
          stoppedByTimeLimit: value.completed < queued,
          cpu,
          cpuPerClaim: perOperation(cpu, value.claimed),
        };
      };

      ctx.log(`warm-up: ${warmUp} tasks, then ${warmUp} jobs`);
      await insertWaitingTasks(dk.database.url, transformationName, warmUp);
      const warmUpClaimed = (await dagkeeperRound(warmUp, 1)).claimed;
      await gw.topUp(warmUp);
      await gw.drain(warmUp, claimers, limitMs);

      for (let round = 1; round <= rounds; round += 1) {
        ctx.log(
          `round ${round}/${rounds}: topping up to ${tasks.toLocaleString('en-US')} tasks, ${claimers} claimers, at most ${claimSeconds} s`,
        );
        await topUpDagkeeper();
        single.push(await dagkeeperRound(tasks, 1));
        ctx.log(`dagkeeper, 1 per request: ${fmtRate(single.at(-1)!.perSecond, 'tasks')}`);
        // Topped up to the same queue as dagkeeper's rounds, not added on top of what a time-limited round left.
        const queued = await gw.topUp(tasks);
        await gw.vacuum();
        anchor.push(await graphileRound(queued));
        ctx.log(`graphile-worker: ${fmtRate(anchor.at(-1)!.perSecond, 'jobs')}`);
        await topUpDagkeeper();
        batched.push(await dagkeeperRound(tasks, perRequestBatched));
        ctx.log(`dagkeeper, ${perRequestBatched} per request: ${fmtRate(batched.at(-1)!.perSecond, 'tasks')}`);
      }
      const claimed = warmUpClaimed + [...single, ...batched].reduce((sum, r) => sum + r.claimed, 0);
      checks.push(...(await claimChecksInDatabase(dk, claimed)));
    } finally {
      for (const timer of heartbeats) clearInterval(timer);
      await Promise.all(meters.map((m) => m.close()));
      await server?.stop();
      await graphile?.stop();
    }

    const rates = single.map((r) => r.perSecond);
    const anchorRates = anchor.map((r) => r.perSecond);
    const ratios = pairedRatios(rates, anchorRates);
    const ratio = median(ratios);
    const serverCpu = median(single.map((r) => r.cpuPerClaim.processMs));
    const duplicates = [...single, ...batched].reduce((sum, r) => sum + r.duplicates, 0);
    const anchorDuplicates = anchor.reduce((sum, r) => sum + r.duplicates, 0);
    const n = tasks.toLocaleString('en-US');
    const claimedMedian = median(single.map((r) => r.claimed));
    const notes = [...single, ...batched].some((r) => r.stoppedByTimeLimit)
      ? [
          `The ${claimSeconds} s limit ended some of dagkeeper's rounds before the queue was empty (median ${claimedMedian.toLocaleString('en-US')} of ${n} claims at 1 per request): throughput is over that window, with the hub holding between ${n} and ${(tasks - claimedMedian).toLocaleString('en-US')} waiting tasks. The limit keeps the run bounded; a claim costs the same however many tasks wait (benchmark 2).`,
        ]
      : [];
    const rate = (unit: string) => (v: number) => fmtRate(v, unit);
    const paired = (a: number[], b: number[], better: string) => `${fmtSpread(pairedRatios(a, b), fmtRatio)} (${better} is better)`;
    const noBatching = `no ratio: graphile-worker ${graphileWorkerVersion} fetches one job per query (its get_job takes \`limit 1\`; this version has no batched fetching)`;
    return {
      anchor: `graphile-worker ${graphileWorkerVersion} in a node process of its own, ${claimers} concurrent workers, same PostgreSQL`,
      howMeasured: [
        `${n} WAITING tasks (bulk-inserted with SQL and actioned on one hub) are claimed by ${claimers} compute services, each a loop of ` +
          '`claimTasks(count: 1)` over HTTP to a separate `dagkeeper server` process (PostgreSQL, default settings, LOG_LEVEL=warn), until the API answers with no task ' +
          `or ${claimSeconds} s have passed. Throughput is tasks claimed divided by the time from the first request to the last claim; latency is each request's round trip.`,
        `Anchor: graphile-worker's own runner (\`run()\`, concurrency ${claimers}, a no-op task, logging off) in a node process of its own (bench/support/graphileWorkerProcess.ts), as it runs in production and as dagkeeper's server does here, ` +
          `on a pool of 10 connections (like dagkeeper's) opened once and kept across rounds; it works through ${n} jobs added with \`add_jobs\` to a database of its own on the same PostgreSQL, under the same time limit, and reports over IPC. ` +
          "Its claim latency is the time from each worker's `worker:getJob:start` to its `job:start` event, its throughput jobs started over the time from the first fetch to the last start. " +
          "Each graphile-worker job also runs the no-op and `complete_job`, which a dagkeeper claim does not; each dagkeeper claim goes through HTTP, GraphQL and token authentication, which graphile-worker's do not.",
        `Rounds alternate: after a warm-up of ${warmUp} tasks and ${warmUp} jobs, each of ${rounds} round(s) runs dagkeeper (1 per request), graphile-worker, then dagkeeper (${perRequestBatched} per request), each on a queue topped up to ${n} ` +
          "and a database vacuumed and analyzed just before (autovacuum's work between rounds on a live system; see the PostgreSQL line above for whether it is on here), so a busy moment of the shared machine falls on both sides alike. " +
          "Every number is the median over the rounds with the range (min–max) in brackets; a ratio is the median of the rounds' ratios, each dagkeeper round over the graphile-worker round next to it.",
        "CPU per claim (bench/support/cpu.ts, from /proc, between the start and end of each round, divided by the tasks or jobs claimed): the server process (for the anchor, graphile-worker's process), the PostgreSQL backends of its database, all PostgreSQL processes (WAL writer and checkpointer included, but also any other work on the machine), and the benchmark process that sends the requests (for the anchor there is no separate client). " +
          "graphile-worker's window also covers starting and stopping its runner, a few milliseconds per round.",
        `The target is measured with one task per request, like graphile-worker's one job per fetch. The ${perRequestBatched}-per-request rows let the same claimers ask for ${perRequestBatched} tasks per request, as a compute service with that many free slots does; ` +
          `they would be compared with graphile-worker's own batching, which ${graphileWorkerVersion} does not have (one job per \`get_job\`), so they carry no ratio. ` +
          "The server runs at its defaults, as in production: a worker's token lookup is reused for 1 s (DAGKEEPER_TOKEN_REUSE_MS) and its check-in for up to 1 s (src/domain/claims/RecentCheckIns.ts), while the claim statement itself refuses services that are gone, silent or failing; requests that arrive together share one statement per token lookup, check-in and hub (src/domain/Coalescer.ts).",
        'Double claims are counted twice: ids handed out more than once across all claimers, and in the database (a task claimed again while its earlier claim was still held; RUNNING tasks against claims handed out).',
      ],
      rows: [
        {
          metric: 'throughput, 1 per request',
          dagkeeper: fmtSpread(rates, rate('tasks')),
          anchor: fmtSpread(anchorRates, rate('jobs')),
          ratio: paired(rates, anchorRates, 'higher'),
        },
        ...(['p50', 'p99'] as const).map((p) => ({
          metric: `claim latency ${p}, 1 per request`,
          dagkeeper: fmtSpread(
            single.map((r) => r.latency[p]),
            fmtMs,
          ),
          anchor: fmtSpread(
            anchor.map((r) => r.latency[p]),
            fmtMs,
          ),
          ratio: paired(
            single.map((r) => r.latency[p]),
            anchor.map((r) => r.latency[p]),
            'lower',
          ),
        })),
        {
          metric: 'claimed per round, 1 per request',
          dagkeeper: `${fmtSpread(
            single.map((r) => r.claimed),
            (v) => v.toLocaleString('en-US'),
          )} of ${n}`,
          anchor: `${fmtSpread(
            anchor.map((r) => r.claimed),
            (v) => v.toLocaleString('en-US'),
          )} of ${n}`,
          ratio: '',
        },
        ...cpuRows(
          'per claim, 1 per request',
          single.map((r) => r.cpuPerClaim),
          { rounds: anchor.map((r) => r.cpuPerClaim), per: 'per job', clientInProcess: true },
        ),
        {
          metric: `throughput, ${perRequestBatched} per request`,
          dagkeeper: fmtSpread(
            batched.map((r) => r.perSecond),
            rate('tasks'),
          ),
          anchor: noBatching,
          ratio: '',
        },
        {
          metric: `request latency p50 / p99, ${perRequestBatched} per request`,
          dagkeeper: `${fmtSpread(
            batched.map((r) => r.latency.p50),
            fmtMs,
          )} / ${fmtSpread(
            batched.map((r) => r.latency.p99),
            fmtMs,
          )}`,
          anchor: '',
          ratio: '',
        },
        ...cpuRows(
          `per task, ${perRequestBatched} per request`,
          batched.map((r) => r.cpuPerClaim),
        ),
        { metric: 'double claims', dagkeeper: String(duplicates), anchor: String(anchorDuplicates), ratio: '' },
      ],
      verdicts: [
        {
          target: "claims, 1 per request: ≥ 1.0× graphile-worker's job rate",
          pass: ratio >= 1.0,
          detail: `${fmtSpread(ratios, fmtRatio)} over ${ratios.length} round pair(s)`,
        },
        {
          target: 'server CPU per claim (1 per request) ≤ 0.2 ms',
          pass: serverCpu <= 0.2,
          detail: fmtSpread(
            single.map((r) => r.cpuPerClaim.processMs),
            fmtCpuMs,
          ),
        },
      ],
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
        ratios,
        ratioSpread: spread(ratios),
        dagkeeper: single,
        graphileWorker: anchor,
        batched: { perRequest: perRequestBatched, rounds: batched },
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
): Promise<Omit<DrainResult, 'cpu' | 'cpuPerClaim'>> {
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
