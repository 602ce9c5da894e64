import type { ApiClient } from '../src/client/ApiClient.js';
import type { Benchmark, BenchContext, BenchResult, Check } from './support/benchmark.js';
import { fmtCpuMs, fmtMs, fmtRatio } from './support/benchmark.js';
import { createNetwork } from './support/campaign.js';
import { openCpuMeter } from './support/cpu.js';
import type { CpuMeter, CpuUse } from './support/cpu.js';
import { cpuRows } from './support/cpuRows.js';
import { startBenchServer } from './support/server.js';
import { median, nowMs } from './support/stats.js';
import { startWorker, unitsShipped, unitsStarted } from './support/workers.js';
import type { BenchWorker } from './support/workers.js';

/**
 * 4. Resume: a task of n chained units whose first k units a killed worker already shipped, finished
 * by a fresh worker, against a fresh worker running the whole DAG.
 */

interface RunTimes {
  /** Worker start to worker exit (it runs one task and stops). */
  wallMs: number;
  /** From the worker's "starting/resuming task" log line to its "finished task" line. */
  taskMs: number;
  unitsExecuted: number;
  /** CPU from just before the worker starts until it has exited. */
  cpu: CpuUse;
}

interface Round {
  full: RunTimes;
  resumed: RunTimes & { done: number };
}

const workerArgs = ['--max-tasks', '1', '--poll-seconds', '0.2', '--protocols', 'command'];

/** A chain unit-0 → … → unit-(n-1); each sleeps, then leaves a 64 KiB file the next one depends on. */
function chainSettings(units: number, unitMs: number) {
  return {
    units: Array.from({ length: units }, (_, i) => ({
      key: `unit-${i}`,
      name: `Step ${i}`,
      dependencies: i === 0 ? [] : [`unit-${i - 1}`],
      command: ['sh', '-c', `sleep ${unitMs / 1000} && head -c 65536 /dev/urandom > "$DAGKEEPER_OUTPUT_DIR/state.bin"`],
    })),
  };
}

export const resume: Benchmark = {
  id: 4,
  name: 'resume',
  title: 'Resume a partly done task',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { resumeUnits: n, resumeDone: k, resumeUnitMs: unitMs, resumeRounds: rounds } = ctx.scale;
    if (!(k >= 1 && k < n)) throw new Error(`resume needs 0 < BENCH_RESUME_DONE < BENCH_RESUME_UNITS, got ${k} of ${n}`);
    const results: Round[] = [];
    const checks: Check[] = [];
    const server = await startBenchServer();
    const workers: BenchWorker[] = [];
    let meter: CpuMeter | undefined;
    try {
      const cpuMeter = await openCpuMeter({ pid: server.pid, databases: [server.database.name] });
      meter = cpuMeter;
      const { client: user } = await server.identity('USER', 'bench-user', ['bench-resume-run']);
      const compute = await server.identity('COMPUTE', 'bench-worker', ['bench-*-*']);
      const { networkKey, transformationKeys } = await createNetwork(user, 'bench-resume-run', 'resume', [
        { name: 'chain', protocol: 'command', settings: chainSettings(n, unitMs) },
        { name: 'warm-up', protocol: 'command', settings: chainSettings(1, unitMs) },
      ]);
      const [chain, warmUp] = transformationKeys as [string, string];
      const newTask = async (transformationKey: string) => {
        const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
          'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
          { t: transformationKey },
        );
        const id = createTasks[0]!.id;
        await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: networkKey, ids: [id] });
        return id;
      };
      const runToEnd = async (taskId: string): Promise<RunTimes> => {
        const cpuStart = await cpuMeter.mark();
        const worker = startWorker(server.url, compute.token, workerArgs);
        workers.push(worker);
        const code = await worker.exited;
        const wallMs = nowMs() - worker.startedAt;
        const cpu = await cpuMeter.since(cpuStart);
        const begun = worker.logs().find((l) => l.msg === 'starting task' || l.msg === 'resuming task');
        const finished = worker.logs().find((l) => l.msg === 'finished task');
        if (code !== 0 || begun === undefined || finished === undefined || begun.taskId !== taskId) {
          throw new Error(
            `the worker did not run task ${taskId} to the end (exit ${code}); last lines: ${JSON.stringify(worker.logs().slice(-5))}`,
          );
        }
        return {
          wallMs,
          taskMs: Date.parse(String(finished.time)) - Date.parse(String(begun.time)),
          unitsExecuted: unitsStarted(worker).length,
          cpu,
        };
      };

      ctx.log('warm-up: a one-unit task');
      await runToEnd(await newTask(warmUp));
      for (let round = 1; round <= rounds; round += 1) {
        const fullTask = await newTask(chain);
        const full = await runToEnd(fullTask);
        checks.push(await everyUnitOkOnce(user, fullTask, n, `full run ${round}`));

        const resumedTask = await newTask(chain);
        const done = await killAfter(server.url, compute, k, workers);
        const okBefore = await okUnits(user, resumedTask);
        const resumer = await runToEnd(resumedTask);
        const ranAgain = unitsStarted(workers.at(-1) as BenchWorker).filter((key) => okBefore.has(key));
        checks.push(await everyUnitOkOnce(user, resumedTask, n, `resumed run ${round}`));
        checks.push({
          name: `resumed run ${round}: no finished unit ran again`,
          ok: ranAgain.length === 0 && resumer.unitsExecuted === n - okBefore.size,
          detail: `${okBefore.size} done before (${done} shipped by the killed worker), ${resumer.unitsExecuted} run on resume${ranAgain.length > 0 ? `, re-run: ${ranAgain.join(', ')}` : ''}`,
        });
        results.push({ full, resumed: { ...resumer, done: okBefore.size } });
        ctx.log(
          `round ${round}: full ${fmtMs(full.wallMs)} (${full.unitsExecuted} units, server CPU ${fmtCpuMs(full.cpu.processMs)}), ` +
            `resumed ${fmtMs(resumer.wallMs)} (${resumer.unitsExecuted} units, ${okBefore.size} done, server CPU ${fmtCpuMs(resumer.cpu.processMs)})`,
        );
      }
    } finally {
      for (const worker of workers) await worker.stop('SIGKILL');
      await meter?.close();
      await server.stop();
    }

    const fullWall = median(results.map((r) => r.full.wallMs));
    const resumedWall = median(results.map((r) => r.resumed.wallMs));
    const fullTask = median(results.map((r) => r.full.taskMs));
    const resumedTask = median(results.map((r) => r.resumed.taskMs));
    const done = median(results.map((r) => r.resumed.done));
    const executed = median(results.map((r) => r.resumed.unitsExecuted));
    const perUnit = (run: (r: Round) => RunTimes, field: keyof CpuUse) =>
      median(results.map((r) => run(r).cpu[field] / run(r).unitsExecuted));
    const resumedPerUnit = (field: keyof CpuUse) => perUnit((r) => r.resumed, field);
    const fullPerUnit = (field: keyof CpuUse) => perUnit((r) => r.full, field);
    return {
      anchor: `a fresh worker running all ${n} units of the same DAG`,
      howMeasured: [
        `A \`command\`-protocol task of ${n} chained units (each \`sleep ${unitMs / 1000}\`, then a 64 KiB output file the next unit depends on), run by real \`dagkeeper worker\` processes against a \`dagkeeper server\` process at default settings.`,
        `Resumed: a worker runs the task until its ${k}th unit result is shipped and is then SIGKILLed (with its unit processes); its compute service is deregistered through the API, which gives the task back ` +
          "at once with its finished units kept (the expiry path is benchmark 7). A fresh worker then claims the task, downloads the last finished unit's files and runs the rest.",
        `Anchor: a fresh worker running a new task of the same DAG from the start. Wall time is the worker process from start to exit (one task, \`--max-tasks 1\`); task time is from its "starting/resuming task" log line to "finished task". ` +
          `${rounds} round(s) after a warm-up task; medians.`,
        "CPU per task run, from /proc between a mark just before the worker process starts and one just after it exits (bench/support/cpu.ts): the server process (the worker's registration, claim, downloads of the finished unit's files, unit results and finish), " +
          "its database's PostgreSQL backends, all PostgreSQL processes, and the benchmark process (which only reads the worker's log lines). The worker's own CPU and its units' are not counted. " +
          "The resumed run is the fresh worker's only, not the killed worker's part; the anchor is a full run. Per unit run: each divided by the units it ran.",
      ],
      rows: [
        {
          metric: 'wall time',
          dagkeeper: `${fmtMs(resumedWall)} (resumed)`,
          anchor: `${fmtMs(fullWall)} (full run)`,
          ratio: `${fmtRatio(resumedWall / fullWall)} (ideal ${fmtRatio((n - done) / n)})`,
        },
        { metric: 'task time', dagkeeper: fmtMs(resumedTask), anchor: fmtMs(fullTask), ratio: fmtRatio(resumedTask / fullTask) },
        {
          metric: 'units executed',
          dagkeeper: `${executed} (${done} of ${n} done before)`,
          anchor: String(median(results.map((r) => r.full.unitsExecuted))),
          ratio: fmtRatio(executed / n),
        },
        ...cpuRows(
          'per task run',
          results.map((r) => r.resumed.cpu),
          { rounds: results.map((r) => r.full.cpu), per: 'per full run' },
        ),
        {
          metric: 'CPU per unit run: server / its backends',
          dagkeeper: `${fmtCpuMs(resumedPerUnit('processMs'))} / ${fmtCpuMs(resumedPerUnit('backendsMs'))}`,
          anchor: `${fmtCpuMs(fullPerUnit('processMs'))} / ${fmtCpuMs(fullPerUnit('backendsMs'))}`,
          ratio: `${fmtRatio(resumedPerUnit('processMs') / fullPerUnit('processMs'))} (server)`,
        },
      ],
      verdicts: [
        { target: 'none set in the issue; a resume runs only the units left', pass: null, detail: `${executed} of ${n} units run` },
      ],
      checks,
      raw: { units: n, doneTarget: k, unitMs, rounds: results },
    };
  },
};

/** Starts a worker on the one waiting task and SIGKILLs it the moment its `k`th unit result is shipped; deregisters its service. */
async function killAfter(url: string, compute: { token: string; client: ApiClient }, k: number, workers: BenchWorker[]): Promise<number> {
  const worker = startWorker(url, compute.token, workerArgs);
  workers.push(worker);
  const registered = await worker.waitFor((l) => l.msg === 'compute service registered');
  await worker.waitFor(() => unitsShipped(worker).length >= k);
  await worker.stop('SIGKILL');
  await compute.client.request('mutation ($id: ID!) { deregisterComputeService(computeServiceId: $id) { id } }', {
    id: registered.computeServiceId,
  });
  return unitsShipped(worker).length;
}

async function okUnits(user: ApiClient, taskId: string): Promise<Set<string>> {
  const { task } = await user.request<{ task: { unitResults: Array<{ unitKey: string }> } }>(
    'query ($id: ID!) { task(id: $id) { unitResults(ok: true) { unitKey } } }',
    { id: taskId },
  );
  return new Set(task.unitResults.map((r) => r.unitKey));
}

async function everyUnitOkOnce(user: ApiClient, taskId: string, units: number, label: string): Promise<Check> {
  const { task } = await user.request<{ task: { status: string; unitResults: Array<{ unitKey: string }> } }>(
    'query ($id: ID!) { task(id: $id) { status unitResults(ok: true) { unitKey } } }',
    { id: taskId },
  );
  const keys = task.unitResults.map((r) => r.unitKey);
  const ok = task.status === 'COMPLETE' && keys.length === units && new Set(keys).size === units;
  return {
    name: `${label}: task COMPLETE with one ok result per unit`,
    ok,
    detail: `${task.status}, ${keys.length} ok results for ${new Set(keys).size} of ${units} units`,
  };
}
