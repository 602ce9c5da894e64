import type { ApiClient } from '../src/client/ApiClient.js';
import { WorkerApi } from '../src/worker/WorkerApi.js';
import type { Benchmark, BenchContext, BenchResult, Check, Row } from './support/benchmark.js';
import { fmtCpuMs, fmtMs, fmtRate, fmtRatio, fmtSpread } from './support/benchmark.js';
import {
  claim,
  countTasks,
  createNetwork,
  keepAlive,
  registerService,
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
 * 10. The unit cycle: workers each looping claim → 3 unit results → finishTask over HTTP against a
 * `dagkeeper server` process, against graphile-worker in a process of its own adding sets of 3 jobs
 * and running them. Rounds alternate (dagkeeper, graphile-worker, then a dagkeeper round split into
 * its operations, for the server's CPU per unit result and per finishTask).
 */

const protocol = 'bench-cycle';
/**
 * The cycles with an estimate run on tasks of their own protocol, spread over this many transformations
 * of a network of their own: a campaign's transformation has a few repeats, and every finish with an
 * estimate recombines all of its transformation's.
 */
const estimateProtocol = 'bench-cycle-estimated';
const estimateTransformations = 200;
const transformationName = 'unit-cycle';
const unitKeys = ['unit-a', 'unit-b', 'unit-c'];
const dag = { name: 'three units', units: unitKeys.map((key) => ({ key, name: key, dependencies: [] })) };
/**
 * The cycles with an estimate have a free-energy protocol's shape: two simulations and the analysis that
 * reads them and reports the estimate, its DAG's one terminal unit (as the harmonic-oscillator protocol's
 * DAG and python/examples/harmonic_wells.py have it).
 */
const estimatedDag = {
  name: 'two simulations and their analysis',
  units: unitKeys.map((key, i) => ({ key, name: key, dependencies: i === unitKeys.length - 1 ? unitKeys.slice(0, -1) : [] })),
};
/** createTasks and actionTasks take at most this many tasks per call. */
const perCall = 1000;

interface CycleRound {
  cycles: number;
  ms: number;
  perSecond: number;
  /** Claim to finished, per cycle (per set for the anchor). */
  latency: LatencySummary;
  cpu: CpuUse;
  cpuPerCycle: CpuUse;
}

interface SplitPhase {
  operations: number;
  ms: number;
  perSecond: number;
  cpuPerOperation: CpuUse;
}

interface SplitRound {
  claim: SplitPhase;
  unitResult: SplitPhase;
  finish: SplitPhase;
}

/** What the workers saw, for the correctness checks. */
interface Tally {
  claimedIds: string[];
  submitted: number;
  finished: Map<string, string>;
}

export const unitCycle: Benchmark = {
  id: 10,
  name: 'cycle',
  title: 'Unit cycle: claim, 3 unit results, finish',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const {
      cycleWorkers: workers,
      cycleTasks: tasks,
      cycleWarmUp: warmUp,
      cycleRounds: rounds,
      cycleSeconds,
      cycleSplitTasks: splitTasks,
    } = ctx.scale;
    const limitMs = cycleSeconds * 1000;
    const cycleRounds: CycleRound[] = [];
    const estimateRounds: CycleRound[] = [];
    const anchorRounds: CycleRound[] = [];
    const splitRounds: SplitRound[] = [];
    const tally: Tally = { claimedIds: [], submitted: 0, finished: new Map() };
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
      const { client: user } = await dk.identity('USER', 'bench-user', ['bench-cycle-run']);
      const { client: compute } = await dk.identity('COMPUTE', 'bench-cluster', ['bench-*-*']);
      const { networkKey, transformationKeys } = await createNetwork(user, 'bench-cycle-run', 'unit cycle', [
        { name: transformationName, protocol, settings: {} },
      ]);
      const estimated = await createNetwork(
        user,
        'bench-cycle-run',
        'unit cycle with estimates',
        Array.from({ length: estimateTransformations }, (_, i) => ({ name: `estimated-${i}`, protocol: estimateProtocol, settings: {} })),
      );
      const services = await Promise.all(Array.from({ length: workers }, (_, i) => registerService(compute, `cycler-${i}`)));
      heartbeats.push(...services.map((id) => keepAlive(compute, id)));
      const dkMeter = await openCpuMeter({ pid: dk.pid, databases: [dk.database.name] });
      const gwMeter = await openCpuMeter({ pid: gw.pid, databases: [gw.database.name] });
      meters.push(dkMeter, gwMeter);
      const api = new WorkerApi(compute);
      /** Tops one kind of cycle's queue up to `count` waiting tasks, then vacuums and analyzes. */
      const topUpQueue = async (
        count: number,
        queue: { protocol: string; networkKey: string; transformationKeys: readonly string[]; dag: object },
      ) => {
        const missing = count - (await countTasks(dk.database.url, 'WAITING', queue.protocol));
        await addWaitingTasks(user, queue.networkKey, queue.transformationKeys, missing, queue.dag);
        await vacuumDatabase(dk.database.url);
      };
      const topUp = (count: number) =>
        topUpQueue(count, { protocol, networkKey, transformationKeys: [transformationKeys[0] as string], dag });
      const topUpEstimated = (count: number) => topUpQueue(count, { protocol: estimateProtocol, ...estimated, dag: estimatedDag });
      const cycleRound = async (maxCycles: number, withEstimate = false): Promise<CycleRound> => {
        const { value, cpu } = await dkMeter.measure(() => runCycles(api, compute, services, maxCycles, limitMs, tally, withEstimate));
        return { ...value, cpu, cpuPerCycle: perOperation(cpu, value.cycles) };
      };
      const anchorRound = async (maxSets: number, label: string): Promise<CycleRound> => {
        await gw.vacuum();
        const { value, cpu } = await gwMeter.measure(() =>
          gw.sets({ drivers: workers, concurrency: workers, perSet: unitKeys.length, maxSets, limitMs }),
        );
        checks.push({
          name: `graphile-worker ${label}: every job of every set ran once`,
          ok: value.duplicates === 0 && value.jobs === value.sets * unitKeys.length,
          detail: `${value.sets} sets, ${value.jobs} jobs completed, ${value.duplicates} started twice`,
        });
        return {
          cycles: value.sets,
          ms: value.ms,
          perSecond: value.sets / (value.ms / 1000),
          latency: value.latency,
          cpu,
          cpuPerCycle: perOperation(cpu, value.sets),
        };
      };

      ctx.log(`warm-up: ${warmUp} cycles, then ${warmUp} sets`);
      await topUp(warmUp);
      await cycleRound(warmUp);
      await anchorRound(warmUp, 'warm-up');
      for (let round = 1; round <= rounds; round += 1) {
        ctx.log(
          `round ${round}/${rounds}: topping up to ${tasks.toLocaleString('en-US')} tasks; ${workers} workers, at most ${cycleSeconds} s`,
        );
        await topUp(tasks);
        cycleRounds.push(await cycleRound(tasks));
        ctx.log(`dagkeeper: ${fmtRate(cycleRounds.at(-1)!.perSecond, 'cycles')}`);
        anchorRounds.push(await anchorRound(tasks, `round ${round}`));
        ctx.log(`graphile-worker: ${fmtRate(anchorRounds.at(-1)!.perSecond, 'sets')}`);
        await topUpEstimated(tasks);
        estimateRounds.push(await cycleRound(tasks, true));
        ctx.log(`dagkeeper, the last unit reporting an estimate: ${fmtRate(estimateRounds.at(-1)!.perSecond, 'cycles')}`);
        await topUp(splitTasks);
        splitRounds.push(await splitRound(dkMeter, api, compute, services, splitTasks, tally));
        const last = splitRounds.at(-1)!;
        ctx.log(
          `dagkeeper split: server CPU ${fmtCpuMs(last.claim.cpuPerOperation.processMs)} per claim, ${fmtCpuMs(last.unitResult.cpuPerOperation.processMs)} per unit result, ${fmtCpuMs(last.finish.cpuPerOperation.processMs)} per finishTask`,
        );
      }
      checks.push(...(await cycleChecks(dk, tally)));
    } finally {
      for (const timer of heartbeats) clearInterval(timer);
      await Promise.all(meters.map((m) => m.close()));
      await server?.stop();
      await graphile?.stop();
    }

    const rates = cycleRounds.map((r) => r.perSecond);
    const anchorRates = anchorRounds.map((r) => r.perSecond);
    const ratios = pairedRatios(rates, anchorRates);
    const estimateRates = estimateRounds.map((r) => r.perSecond);
    const perUnitResult = splitRounds.map((r) => r.unitResult.cpuPerOperation.processMs);
    const perFinish = splitRounds.map((r) => r.finish.cpuPerOperation.processMs);
    const n = tasks.toLocaleString('en-US');
    const splitRow = (operation: string, pick: (r: SplitRound) => SplitPhase): Row => {
      const cpu = (field: keyof CpuUse) =>
        fmtSpread(
          splitRounds.map((r) => pick(r).cpuPerOperation[field]),
          fmtCpuMs,
        );
      const rate = fmtSpread(
        splitRounds.map((r) => pick(r).perSecond),
        (v) => `${Math.round(v).toLocaleString('en-US')}/s`,
      );
      return {
        metric: `split rounds: CPU per ${operation}`,
        dagkeeper: `server ${cpu('processMs')}, its backends ${cpu('backendsMs')}, all PostgreSQL ${cpu('postgresMs')} (${rate})`,
        anchor: '',
        ratio: '',
      };
    };
    return {
      anchor: `graphile-worker ${graphileWorkerVersion} in a node process of its own: sets of 3 jobs added with \`add_jobs\` and run, ${workers} at a time`,
      howMeasured: [
        `${workers} compute services, each a loop of \`claimTasks(count: 1)\` → 3 × \`submitUnitResult\` (ok, a few numbers of outputs) → \`finishTask\` (the worker's own WorkerApi, GraphQL over HTTP on loopback) against a separate \`dagkeeper server\` process (PostgreSQL, defaults, LOG_LEVEL=warn, local object store), ` +
          `on tasks created through the API with a ProtocolDAG of 3 independent units and actioned on one hub, until ${n} cycles are done or ${cycleSeconds} s have passed. A cycle is one task claimed, its 3 unit results recorded and the task finished COMPLETE; the rate is cycles over the time from the first claim to the last finish.`,
        `Anchor: graphile-worker's runner (concurrency ${workers}, a no-op task, logging off) in a node process of its own (bench/support/graphileWorkerProcess.ts) on a pool of 10 connections kept across rounds, on a database of its own on the same PostgreSQL; ` +
          `in the same process ${workers} loops each add a set of 3 jobs with one \`add_jobs\` call and wait until all 3 have completed (a job's completion adds nothing), then the next set, up to ${n} sets or ${cycleSeconds} s. ` +
          "A set stands for a task: created (3 units, as dagkeeper's task with its DAG) and worked through by the queue; its rate is sets over the time from the runner's start to the last completion.",
        `Rounds alternate: after a warm-up of ${warmUp} cycles and ${warmUp} sets, each of ${rounds} round(s) runs dagkeeper's cycles, graphile-worker's sets, dagkeeper's cycles with an estimate, then a dagkeeper split round, each on a queue topped up first (dagkeeper to ${n} waiting tasks through \`createTasks\` and \`actionTasks\`, outside the measured time) and a database vacuumed and analyzed just before. ` +
          "Every number is the median over the rounds with the range (min–max) in brackets; a ratio is the median of the rounds' ratios, each dagkeeper round over the graphile-worker round next to it.",
        `CPU per cycle (per set for the anchor), from /proc between each round's start and end (bench/support/cpu.ts): the server process (graphile-worker's process for the anchor), its database's PostgreSQL backends, all PostgreSQL processes, and the benchmark process sending the requests. ` +
          `The split rounds measure the server's CPU per operation: ${splitTasks} tasks are first all claimed, then all their unit results submitted, then all finished, each phase by the same ${workers} workers and measured on its own.`,
        `Cycles with an estimate: the same cycles, but the third unit's outputs carry \`estimate\` { value, uncertainty, unit }, as the terminal unit of a real free-energy protocol's DAG does: their DAG is two simulations and the analysis that depends on both and reports the estimate (the examples' shape), and each finish records the estimate and recombines its transformation's. They run on tasks of a protocol and a network of their own, spread over ${estimateTransformations} transformations (about ${Math.ceil(tasks / estimateTransformations)} repeats each per round), as a campaign's repeats are: every finish recombines all of its transformation's repeats. They carry no target (the target's cycle has no estimate); the row shows what a campaign's tasks cost, next to the graphile-worker round before it.`,
        "Correctness: every unit result stored once (one row per task and unit, as many as were submitted), every task finished COMPLETE once (one ProtocolDAGResult each, none left RUNNING), no task held by two claims at once (the API's answers and the database).",
      ],
      rows: [
        {
          metric: 'cycles (sets) per second',
          dagkeeper: fmtSpread(rates, (v) => fmtRate(v, 'cycles')),
          anchor: fmtSpread(anchorRates, (v) => fmtRate(v, 'sets')),
          ratio: `${fmtSpread(ratios, fmtRatio)} (higher is better)`,
        },
        ...(['p50', 'p99'] as const).map((p) => ({
          metric: `cycle (set) latency ${p}`,
          dagkeeper: fmtSpread(
            cycleRounds.map((r) => r.latency[p]),
            fmtMs,
          ),
          anchor: fmtSpread(
            anchorRounds.map((r) => r.latency[p]),
            fmtMs,
          ),
          ratio: `${fmtSpread(
            pairedRatios(
              cycleRounds.map((r) => r.latency[p]),
              anchorRounds.map((r) => r.latency[p]),
            ),
            fmtRatio,
          )} (lower is better)`,
        })),
        {
          metric: 'cycles (sets) per round',
          dagkeeper: `${fmtSpread(
            cycleRounds.map((r) => r.cycles),
            (v) => v.toLocaleString('en-US'),
          )} of ${n}`,
          anchor: `${fmtSpread(
            anchorRounds.map((r) => r.cycles),
            (v) => v.toLocaleString('en-US'),
          )} of ${n}`,
          ratio: '',
        },
        ...cpuRows(
          'per cycle',
          cycleRounds.map((r) => r.cpuPerCycle),
          { rounds: anchorRounds.map((r) => r.cpuPerCycle), per: 'per set', clientInProcess: true },
        ),
        {
          metric: 'cycles per second, the last unit reporting an estimate',
          dagkeeper: fmtSpread(estimateRates, (v) => fmtRate(v, 'cycles')),
          anchor: fmtSpread(anchorRates, (v) => fmtRate(v, 'sets')),
          ratio: `${fmtSpread(pairedRatios(estimateRates, anchorRates), fmtRatio)} (no target)`,
        },
        {
          metric: 'CPU per cycle with an estimate',
          dagkeeper: `server ${fmtSpread(
            estimateRounds.map((r) => r.cpuPerCycle.processMs),
            fmtCpuMs,
          )}, its backends ${fmtSpread(
            estimateRounds.map((r) => r.cpuPerCycle.backendsMs),
            fmtCpuMs,
          )}`,
          anchor: '',
          ratio: '',
        },
        splitRow('claim', (r) => r.claim),
        splitRow('unit result', (r) => r.unitResult),
        splitRow('finishTask', (r) => r.finish),
      ],
      verdicts: [
        {
          target: "unit cycle ≥ 0.5× graphile-worker's rate of sets of 3 jobs added and completed",
          pass: median(ratios) >= 0.5,
          detail: `${fmtSpread(ratios, fmtRatio)} over ${ratios.length} round pair(s)`,
        },
        { target: 'server CPU per unit result ≤ 1 ms', pass: median(perUnitResult) <= 1, detail: fmtSpread(perUnitResult, fmtCpuMs) },
        { target: 'server CPU per finishTask ≤ 2 ms', pass: median(perFinish) <= 2, detail: fmtSpread(perFinish, fmtCpuMs) },
      ],
      checks,
      raw: {
        workers,
        tasks,
        warmUp,
        cycleSeconds,
        splitTasks,
        ratios,
        ratioSpread: spread(ratios),
        dagkeeper: cycleRounds,
        dagkeeperWithEstimate: estimateRounds,
        graphileWorker: anchorRounds,
        split: splitRounds,
      },
    };
  },
};

/** Creates `count` tasks with a 3-unit DAG through the API, spread evenly over the transformations, and actions them, as a user would. */
async function addWaitingTasks(
  user: ApiClient,
  networkKey: string,
  transformationKeys: readonly string[],
  count: number,
  dag: object,
): Promise<void> {
  for (const [i, transformationKey] of transformationKeys.entries()) {
    const share = Math.floor(count / transformationKeys.length) + (i < count % transformationKeys.length ? 1 : 0);
    for (let done = 0; done < share; done += perCall) {
      const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!, $n: Int!, $dag: JSON!) { createTasks(transformationKey: $t, count: $n, dag: $dag) { id } }',
        { t: transformationKey, n: Math.min(perCall, share - done), dag },
      );
      await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
        n: networkKey,
        ids: createTasks.map((t) => t.id),
      });
    }
  }
}

function unitResult(unitKey: string, i: number, withEstimate = false) {
  const endedAt = new Date();
  const outputs = {
    window: i,
    lambda: i / 1000,
    samples: 20_000,
    acceptance: 0.49156,
    energies: [1.25, -0.5, 0.75, 2.125],
    converged: true,
  };
  return {
    unitKey,
    ok: true,
    outputs: withEstimate ? { ...outputs, estimate: { value: -1.5 + (i % 11) * 0.01, uncertainty: 0.12, unit: 'kcal/mol' } } : outputs,
    startedAt: new Date(endedAt.getTime() - 1000).toISOString(),
    endedAt: endedAt.toISOString(),
  };
}

async function finishOne(api: WorkerApi, token: string, taskId: string, tally: Tally): Promise<void> {
  const { status } = await api.finish(token);
  tally.finished.set(taskId, status);
}

/** Each service loops claim → 3 unit results → finish until `maxCycles` are started in all, the queue is empty or time is up. */
async function runCycles(
  api: WorkerApi,
  compute: ApiClient,
  services: string[],
  maxCycles: number,
  limitMs: number,
  tally: Tally,
  withEstimate: boolean,
): Promise<Omit<CycleRound, 'cpu' | 'cpuPerCycle'>> {
  const latencies: number[] = [];
  let started = 0;
  let lastDone = 0;
  const begin = nowMs();
  const deadline = begin + limitMs;
  await Promise.all(
    services.map(async (serviceId) => {
      while (started < maxCycles && nowMs() < deadline) {
        started += 1;
        const cycleStarted = nowMs();
        const [claimed] = await claim(compute, serviceId, [withEstimate ? estimateProtocol : protocol]);
        if (claimed === undefined) return;
        tally.claimedIds.push(claimed.taskId);
        for (const unitKey of unitKeys) {
          await api.submitUnitResult(claimed.token, unitResult(unitKey, tally.submitted, withEstimate && unitKey === unitKeys.at(-1)));
          tally.submitted += 1;
        }
        await finishOne(api, claimed.token, claimed.taskId, tally);
        lastDone = nowMs();
        latencies.push(lastDone - cycleStarted);
      }
    }),
  );
  const cycles = latencies.length;
  const ms = lastDone - begin;
  return { cycles, ms, perSecond: cycles / (ms / 1000), latency: summarize(latencies) };
}

/** `count` cycles split into their operations: all claims, then all unit results, then all finishes, each phase measured alone. */
async function splitRound(
  meter: CpuMeter,
  api: WorkerApi,
  compute: ApiClient,
  services: string[],
  count: number,
  tally: Tally,
): Promise<SplitRound> {
  const held: Array<{ token: string; taskId: string }> = [];
  const phase = async (work: () => Promise<number>): Promise<SplitPhase> => {
    const started = nowMs();
    const { value: operations, cpu } = await meter.measure(work);
    const ms = nowMs() - started;
    return { operations, ms, perSecond: operations / (ms / 1000), cpuPerOperation: perOperation(cpu, operations) };
  };
  /** Runs `step` over `items` with one loop per service, as the workers would. */
  const acrossWorkers = async <T>(items: T[], step: (item: T) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      services.map(async () => {
        while (next < items.length) {
          const item = items[next] as T;
          next += 1;
          await step(item);
        }
      }),
    );
  };
  const claimPhase = await phase(async () => {
    let asked = 0;
    await Promise.all(
      services.map(async (serviceId) => {
        while (asked < count) {
          asked += 1;
          const [claimed] = await claim(compute, serviceId, [protocol]);
          if (claimed === undefined) return;
          held.push(claimed);
          tally.claimedIds.push(claimed.taskId);
        }
      }),
    );
    return held.length;
  });
  const unitResultPhase = await phase(async () => {
    const submissions = held.flatMap((c) => unitKeys.map((unitKey) => ({ token: c.token, unitKey })));
    await acrossWorkers(submissions, async (s) => {
      await api.submitUnitResult(s.token, unitResult(s.unitKey, tally.submitted));
      tally.submitted += 1;
    });
    return submissions.length;
  });
  const finishPhase = await phase(async () => {
    await acrossWorkers(held, (c) => finishOne(api, c.token, c.taskId, tally));
    return held.length;
  });
  return { claim: claimPhase, unitResult: unitResultPhase, finish: finishPhase };
}

async function cycleChecks(server: BenchServer, tally: Tally): Promise<Check[]> {
  const url = server.database.url;
  const counts = await withDatabase(url, async (client) => {
    const one = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n);
    return {
      unitResults: await one('SELECT count(*) AS n FROM "UnitResult"'),
      distinctUnits: await one('SELECT count(*) AS n FROM (SELECT DISTINCT "taskId", "unitKey" FROM "UnitResult") AS u'),
      complete: await one(`SELECT count(*) AS n FROM "Task" WHERE status = 'COMPLETE'`),
      running: await one(`SELECT count(*) AS n FROM "Task" WHERE status = 'RUNNING'`),
      dagResults: await one('SELECT count(*) AS n FROM "ProtocolDagResult"'),
      tasksWithDagResult: await one('SELECT count(DISTINCT "taskId") AS n FROM "ProtocolDagResult"'),
    };
  });
  const doubled = await tasksClaimedTwice(url);
  const handedOutTwice = tally.claimedIds.length - new Set(tally.claimedIds).size;
  const finished = tally.finished.size;
  const finishedComplete = [...tally.finished.values()].filter((s) => s === 'COMPLETE').length;
  return [
    {
      name: 'every unit result stored once',
      ok: counts.unitResults === tally.submitted && counts.distinctUnits === counts.unitResults,
      detail: `${tally.submitted} submitted, ${counts.unitResults} rows for ${counts.distinctUnits} task units`,
    },
    {
      name: 'every finished task COMPLETE once',
      ok:
        finishedComplete === finished &&
        counts.complete === finished &&
        counts.dagResults === finished &&
        counts.tasksWithDagResult === finished &&
        counts.running === 0,
      detail: `${finished} finished (${finishedComplete} answered COMPLETE), ${counts.complete} tasks COMPLETE, ${counts.dagResults} ProtocolDAGResults for ${counts.tasksWithDagResult} tasks, ${counts.running} left RUNNING`,
    },
    {
      name: 'no task held by two claims at once',
      ok: doubled === 0 && handedOutTwice === 0,
      detail: `${handedOutTwice} task ids handed out twice by the API, ${doubled} tasks claimed again while held (database)`,
    },
  ];
}
