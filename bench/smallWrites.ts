import { Logger, makeWorkerUtils, runMigrations } from 'graphile-worker';
import { createTestDatabase } from '../test/support/postgres.js';
import { WorkerApi } from '../src/worker/WorkerApi.js';
import type { Benchmark, BenchContext, BenchResult } from './support/benchmark.js';
import { fmtMs, fmtRatio } from './support/benchmark.js';
import { claim, createNetwork, registerService, withDatabase } from './support/campaign.js';
import { startBenchServer } from './support/server.js';
import { nowMs, summarize } from './support/stats.js';
import type { LatencySummary } from './support/stats.js';

/**
 * 6. Small writes: `submitUnitResult` round trips on loopback, one after another, against
 * graphile-worker's `addJob` of the same payload on the same PostgreSQL (and a bare INSERT as the floor).
 */

const protocol = 'bench-writes';
const warmUp = 20;

/** What a small unit reports: a handful of numbers, as the demo protocol's sampling units do. */
function outputsOf(i: number) {
  return {
    window: i,
    lambda: i / 1000,
    samples: 20_000,
    acceptance: 0.49156,
    meanX2: 0.985695,
    energies: [1.25, -0.5, 0.75, 2.125],
    converged: true,
  };
}

export const smallWrites: Benchmark = {
  id: 6,
  name: 'writes',
  title: 'Small writes: unit-result submission',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const writes = ctx.scale.smallWrites;
    const units = Array.from({ length: warmUp + writes }, (_, i) => ({ key: `unit-${i}`, name: `Unit ${i}`, dependencies: [] }));

    let dagkeeper: LatencySummary;
    let recorded: number;
    const server = await startBenchServer();
    try {
      const { client: user } = await server.identity('USER', 'bench-user', ['bench-writes-run']);
      const { client: compute } = await server.identity('COMPUTE', 'bench-worker', ['bench-*-*']);
      const { networkKey, transformationKeys } = await createNetwork(user, 'bench-writes-run', 'small writes', [
        { name: 'writes', protocol, settings: {} },
      ]);
      const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!, $dag: JSON!) { createTasks(transformationKey: $t, dag: $dag) { id } }',
        { t: transformationKeys[0], dag: { name: 'many units', units } },
      );
      const taskId = createTasks[0]!.id;
      await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
        n: networkKey,
        ids: [taskId],
      });
      const [claimed] = await claim(compute, await registerService(compute, 'writer'), [protocol]);
      if (claimed === undefined) throw new Error('nothing to claim');
      const api = new WorkerApi(compute);
      ctx.log(`dagkeeper: ${warmUp} warm-up + ${writes} submissions`);
      const latencies: number[] = [];
      for (let i = 0; i < units.length; i += 1) {
        const endedAt = new Date();
        const started = nowMs();
        await api.submitUnitResult(claimed.token, {
          unitKey: `unit-${i}`,
          ok: true,
          outputs: outputsOf(i),
          startedAt: new Date(endedAt.getTime() - 1000).toISOString(),
          endedAt: endedAt.toISOString(),
        });
        if (i >= warmUp) latencies.push(nowMs() - started);
      }
      dagkeeper = summarize(latencies);
      const { task } = await user.request<{ task: { unitResults: Array<{ ok: boolean }> } }>(
        'query ($id: ID!) { task(id: $id) { unitResults(ok: true) { ok } } }',
        { id: taskId },
      );
      recorded = task.unitResults.length;
    } finally {
      await server.stop();
    }

    let addJob: LatencySummary;
    let insert: LatencySummary;
    const database = await createTestDatabase({ migrated: false });
    try {
      const logger = new Logger(() => () => undefined);
      await runMigrations({ connectionString: database.url, logger });
      const utils = await makeWorkerUtils({ connectionString: database.url, logger });
      try {
        ctx.log(`graphile-worker: ${warmUp} warm-up + ${writes} addJob calls`);
        const latencies: number[] = [];
        for (let i = 0; i < warmUp + writes; i += 1) {
          const started = nowMs();
          await utils.addJob('unit-result', { unitKey: `unit-${i}`, ok: true, outputs: outputsOf(i) });
          if (i >= warmUp) latencies.push(nowMs() - started);
        }
        addJob = summarize(latencies);
      } finally {
        await utils.release();
      }
      insert = await withDatabase(database.url, async (client) => {
        await client.query(
          'CREATE TABLE bench_floor (id bigserial PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
        );
        const latencies: number[] = [];
        for (let i = 0; i < warmUp + writes; i += 1) {
          const started = nowMs();
          await client.query('INSERT INTO bench_floor (payload) VALUES ($1)', [
            JSON.stringify({ unitKey: `unit-${i}`, ok: true, outputs: outputsOf(i) }),
          ]);
          if (i >= warmUp) latencies.push(nowMs() - started);
        }
        return summarize(latencies);
      });
    } finally {
      await database.drop();
    }

    return {
      anchor: 'graphile-worker 0.16.6 `addJob` of the same payload',
      howMeasured: [
        `One claimed task with a DAG of ${units.length} independent units; its unit results (ok, ${JSON.stringify(outputsOf(0)).length} bytes of outputs) are submitted one after another with the worker's ` +
          '`submitUnitResult` (GraphQL over HTTP on loopback to a separate `dagkeeper server` process), each a new unit. ' +
          `${warmUp} warm-up submissions, then ${writes} measured. Each submission checks the claim, writes the result document to the object store (local directory) and records it and its event in PostgreSQL.`,
        "Anchor: graphile-worker's `addJob` with the same payload, one after another, on a database of its own on the same server — a durable, library-level small write " +
          "that is one function call (`add_job`) in one round trip. It is the closer comparison than a bare INSERT because, like a unit result, a job is validated and recorded through a product's own API; " +
          'the bare INSERT of the same JSON with `pg` is shown as the floor a single round trip costs.',
      ],
      rows: [
        {
          metric: 'submitUnitResult p50',
          dagkeeper: fmtMs(dagkeeper.p50),
          anchor: fmtMs(addJob.p50),
          ratio: `${fmtRatio(dagkeeper.p50 / addJob.p50)} (lower is better)`,
        },
        {
          metric: 'submitUnitResult p99',
          dagkeeper: fmtMs(dagkeeper.p99),
          anchor: fmtMs(addJob.p99),
          ratio: `${fmtRatio(dagkeeper.p99 / addJob.p99)} (lower is better)`,
        },
        {
          metric: 'floor: INSERT via pg p50 / p99',
          dagkeeper: '',
          anchor: `${fmtMs(insert.p50)} / ${fmtMs(insert.p99)}`,
          ratio: `${fmtRatio(dagkeeper.p50 / insert.p50)} at p50`,
        },
      ],
      verdicts: [
        { target: 'none set in the issue (reported only)', pass: null, detail: `p50 ${fmtMs(dagkeeper.p50)}, p99 ${fmtMs(dagkeeper.p99)}` },
      ],
      checks: [
        {
          name: 'every submitted unit result is recorded',
          ok: recorded === units.length,
          detail: `${recorded} of ${units.length} ok results on the task`,
        },
      ],
      raw: { warmUp, writes, dagkeeper, graphileWorkerAddJob: addJob, pgInsert: insert },
    };
  },
};
