import type { Benchmark, BenchContext, BenchResult, Check } from './support/benchmark.js';
import { fmtCpuMs, fmtRatio, fmtSeconds } from './support/benchmark.js';
import { createNetwork } from './support/campaign.js';
import { openCpuMeter } from './support/cpu.js';
import type { CpuMeter, CpuUse } from './support/cpu.js';
import { cpuRows } from './support/cpuRows.js';
import { startBenchServer } from './support/server.js';
import { median, nowMs } from './support/stats.js';
import { startWorker } from './support/workers.js';
import type { BenchWorker, LogLine } from './support/workers.js';

/**
 * 7. Dead worker to resumed task, at default settings: a worker is SIGKILLed in the middle of a unit;
 * how long until another worker runs that task's next unit? Meanwhile a third worker keeps a core busy
 * on a unit of its own and must not be expired.
 */

const defaultExpirySeconds = 20;
const targetSeconds = 30;

interface Round {
  /** SIGKILL to the second worker's "unit started" for the dead worker's task. */
  killToNextUnitMs: number;
  /** SIGKILL to the second worker's "resuming task" line: it has claimed the task and read its DAG. */
  killToReclaimedMs: number;
  busyWorkerExpired: boolean;
  busyWorkerKeptTask: boolean;
  busyWorkerHeartbeatSeconds: unknown;
  /** CPU from just before the SIGKILL until the second worker's "unit started". */
  cpu: CpuUse;
}

export const deadWorker: Benchmark = {
  id: 7,
  name: 'deadworker',
  title: 'Dead worker to resumed task',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const rounds: Round[] = [];
    for (let round = 1; round <= ctx.scale.deadWorkerRounds; round += 1) {
      rounds.push(await measureRound(ctx, round));
      const r = rounds.at(-1) as Round;
      ctx.log(
        `round ${round}: SIGKILL → next unit running ${fmtSeconds(r.killToNextUnitMs)} (claimed again after ${fmtSeconds(r.killToReclaimedMs)}); ` +
          `server CPU ${fmtCpuMs(r.cpu.processMs)}; busy worker expired: ${r.busyWorkerExpired}`,
      );
    }
    const time = median(rounds.map((r) => r.killToNextUnitMs));
    const falseExpiries = rounds.filter((r) => r.busyWorkerExpired || !r.busyWorkerKeptTask).length;
    const checks: Check[] = rounds.map((r, i) => ({
      name: `round ${i + 1}: the healthy, busy worker was not expired and kept its task`,
      ok: !r.busyWorkerExpired && r.busyWorkerKeptTask,
      detail: `expired: ${r.busyWorkerExpired}, task still RUNNING under its claim: ${r.busyWorkerKeptTask}`,
    }));
    return {
      anchor: `the server's expiry setting (${defaultExpirySeconds} s, the default)`,
      howMeasured: [
        'Three `dagkeeper worker` processes against a `dagkeeper server` process, all at default settings (expiry 20 s; workers heartbeat every 5 s and poll every 2 s). ' +
          'Worker A runs a `command` task whose second unit sleeps; worker C runs a unit that keeps a core busy (`while :; do :; done`) in a task of its own; worker B waits for work.',
        "Once A's second unit has started, A's process group is SIGKILLed (the worker and its unit, as when a node dies). The clock stops when B logs \"unit started\" for that unit of A's task. " +
          "B's \"resuming task\" line says when it had claimed the task: a claim first expires silent services, so B's poll, or the server's sweeper (every 5 s), requeues A's task and B claims it in the same moment.",
        "The expiry counts from A's last heartbeat, which came up to 5 s before the kill, so the time can be shorter than the expiry; detection adds up to B's 2 s poll. " +
          "Afterwards C's compute service must not be expired and its task must still be RUNNING under its claim. A fresh server and database per round.",
        "CPU per round, from /proc between a mark just before the SIGKILL and one when B's unit has started (bench/support/cpu.ts): the server process, its database's PostgreSQL backends, all PostgreSQL processes, and the benchmark process (which only reads the workers' log lines). " +
          "Most of it is the wait for the expiry — B's and C's heartbeats, B's polls, the sweeper — so it grows with the time, and the requeue and the claim are a small part; the workers' own CPU and C's busy unit are not counted.",
      ],
      rows: [
        {
          metric: 'SIGKILL → next unit running',
          dagkeeper: fmtSeconds(time),
          anchor: `${defaultExpirySeconds} s expiry`,
          ratio: `${fmtRatio(time / (defaultExpirySeconds * 1000))} of the expiry`,
        },
        {
          metric: 'SIGKILL → task claimed again',
          dagkeeper: fmtSeconds(median(rounds.map((r) => r.killToReclaimedMs))),
          anchor: '',
          ratio: '',
        },
        {
          metric: 'for comparison, published defaults (not measured here)',
          dagkeeper: '',
          anchor: 'alchemiscale 1,800 s; graphile-worker 4 h; BullMQ 30 s',
          ratio: `alchemiscale's expiry alone is ${Math.round(1_800_000 / time)}× longer`,
        },
        { metric: 'false expiries of the busy worker', dagkeeper: String(falseExpiries), anchor: '', ratio: '' },
        ...cpuRows(
          'per round (SIGKILL → next unit running)',
          rounds.map((r) => r.cpu),
        ),
      ],
      verdicts: [
        {
          target: `≤ ${targetSeconds} s from SIGKILL to the next unit running`,
          pass: time <= targetSeconds * 1000,
          detail: fmtSeconds(time),
        },
        {
          target: 'no false expiry of a healthy, busy worker',
          pass: falseExpiries === 0,
          detail: `${falseExpiries} in ${rounds.length} round(s)`,
        },
      ],
      checks,
      raw: rounds,
    };
  },
};

async function measureRound(ctx: BenchContext, round: number): Promise<Round> {
  const server = await startBenchServer();
  const workers: BenchWorker[] = [];
  let meter: CpuMeter | undefined;
  try {
    meter = await openCpuMeter({ pid: server.pid, databases: [server.database.name] });
    const { client: user } = await server.identity('USER', 'bench-user', ['bench-dead-run']);
    const compute = await server.identity('COMPUTE', 'bench-cluster', ['bench-*-*']);
    const { networkKey, transformationKeys } = await createNetwork(user, 'bench-dead-run', 'dead worker', [
      {
        name: 'interrupted',
        protocol: 'command',
        settings: {
          units: [
            { key: 'setup', name: 'Setup', dependencies: [], command: ['true'] },
            { key: 'simulate', name: 'Simulate', dependencies: ['setup'], command: ['sleep', '3600'] },
          ],
        },
      },
      {
        name: 'busy',
        protocol: 'command',
        settings: { units: [{ key: 'burn', name: 'Burn a core', dependencies: [], command: ['sh', '-c', 'while :; do :; done'] }] },
      },
    ]);
    const [interrupted, busy] = transformationKeys as [string, string];
    const actionedTask = async (transformationKey: string) => {
      const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
        { t: transformationKey },
      );
      const id = createTasks[0]!.id;
      await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: networkKey, ids: [id] });
      return id;
    };
    const start = (name: string) => {
      const worker = startWorker(server.url, compute.token, ['--name', `${name}-${round}`]);
      workers.push(worker);
      return worker;
    };

    // C first, so that the busy task is the only one it can claim.
    const busyTask = await actionedTask(busy);
    const workerC = start('busy');
    const busyRegistered = await workerC.waitFor((l) => l.msg === 'compute service registered');
    await workerC.waitFor((l) => l.msg === 'unit started' && l.taskId === busyTask);
    const deadTask = await actionedTask(interrupted);
    const workerA = start('doomed');
    await workerA.waitFor((l) => l.msg === 'unit started' && l.taskId === deadTask && l.unitKey === 'simulate');
    const workerB = start('standby');
    await workerB.waitFor((l) => l.msg === 'compute service registered');
    ctx.log(`round ${round}: three workers up; SIGKILL to worker A`);

    const cpuStart = await meter.mark();
    const killedAt = nowMs();
    await workerA.stop('SIGKILL');
    const resumed: LogLine = await workerB.waitFor(
      (l) => l.msg === 'unit started' && l.taskId === deadTask && l.unitKey === 'simulate',
      180_000,
    );
    const cpu = await meter.since(cpuStart);
    const reclaimed = await workerB.waitFor((l) => l.msg === 'resuming task' && l.taskId === deadTask);

    const { computeServices } = await compute.client.request<{ computeServices: Array<{ id: string; expiredAt: string | null }> }>(
      '{ computeServices(includeGone: true) { id expiredAt } }',
    );
    const busyService = computeServices.find((s) => s.id === busyRegistered.computeServiceId);
    const { task } = await user.request<{ task: { status: string } }>('query ($id: ID!) { task(id: $id) { status } }', { id: busyTask });
    const lostClaim = workerC
      .logs()
      .some(
        (l) =>
          l.msg === 'the server expired this compute service; registering again' ||
          l.msg === 'claim is no longer current; dropping the task',
      );
    return {
      killToNextUnitMs: resumed.receivedAt - killedAt,
      killToReclaimedMs: reclaimed.receivedAt - killedAt,
      busyWorkerExpired: busyService?.expiredAt !== null,
      busyWorkerKeptTask: task.status === 'RUNNING' && !lostClaim,
      busyWorkerHeartbeatSeconds: busyRegistered.heartbeatSeconds,
      cpu,
    };
  } finally {
    for (const worker of workers) await worker.stop('SIGKILL');
    await meter?.close();
    await server.stop();
  }
}
