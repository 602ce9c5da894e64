import { drawPoints } from '../src/domain/claims/pickHub.js';
import { lockClaimableTasks } from '../src/storage/state/sql/claimTasks.js';
import { sampleClaimableHubs } from '../src/storage/state/sql/sampleHubs.js';
import type { StateTx } from '../src/storage/state/openStateStore.js';
import { statementSent } from '../test/support/statementSent.js';
import type { Benchmark, BenchContext, BenchResult, Check } from './support/benchmark.js';
import { fmtCpuMs, fmtMs, fmtRatio } from './support/benchmark.js';
import {
  claim,
  countTasks,
  createNetwork,
  insertWaitingTasks,
  keepAlive,
  registerService,
  releasedClaims,
  tasksClaimedTwice,
  withDatabase,
} from './support/campaign.js';
import { openCpuMeter, perOperation } from './support/cpu.js';
import type { CpuMeter, CpuUse } from './support/cpu.js';
import { cpuRows } from './support/cpuRows.js';
import { startBenchServer } from './support/server.js';
import { nowMs, summarize } from './support/stats.js';
import type { LatencySummary } from './support/stats.js';

/**
 * 2. Scaling: claim latency with 1k, 10k, 100k and 1M waiting tasks, and the plans PostgreSQL picks
 * for the two claim queries at each size.
 */

const protocol = 'bench-noop';
const transformationName = 'claim-scaling';
const warmUpClaims = 10;
/** Measured claims per size never fall below this, whatever the time budget. */
const minimumClaims = 10;

interface Plan {
  query: string;
  executionMs: number;
  /** Indexes the plan reads, e.g. `Index Scan using "Task_status_priority_createdAt_id_idx"`. */
  indexes: string[];
  /** Tables read row by row in full. */
  seqScans: string[];
  text: string[];
}

interface SizePoint {
  waiting: number;
  latency: LatencySummary;
  /** CPU per measured claim at this size. */
  cpuPerClaim: CpuUse;
  plans: Plan[];
}

export const claimScaling: Benchmark = {
  id: 2,
  name: 'scaling',
  title: 'Claim latency vs waiting tasks',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const sizes = [...ctx.scale.scalingSizes].sort((a, b) => a - b);
    const claims = ctx.scale.scalingClaims;
    const budgetMs = ctx.scale.scalingSecondsPerSize * 1000;
    const points: SizePoint[] = [];
    const checks: Check[] = [];
    const server = await startBenchServer();
    const heartbeats: NodeJS.Timeout[] = [];
    let meter: CpuMeter | undefined;
    try {
      meter = await openCpuMeter({ pid: server.pid, databases: [server.database.name] });
      const { client: user } = await server.identity('USER', 'bench-user', ['bench-scaling-run']);
      const { client: compute } = await server.identity('COMPUTE', 'bench-cluster', ['bench-*-*']);
      await createNetwork(user, 'bench-scaling-run', 'claim scaling', [{ name: transformationName, protocol, settings: {} }]);
      const hubId = await withDatabase(
        server.database.url,
        async (client) => (await client.query<{ id: string }>('SELECT id::text FROM "TaskHub"')).rows[0]?.id as string,
      );

      for (const size of sizes) {
        // Top up to `size` waiting tasks: the claims of the previous size took some.
        const missing = size - (await countTasks(server.database.url, 'WAITING'));
        ctx.log(`${size.toLocaleString('en-US')} waiting: inserting ${missing.toLocaleString('en-US')} tasks`);
        await insertWaitingTasks(server.database.url, transformationName, missing, (done) => {
          if (missing > 100_000) ctx.log(`  ${done.toLocaleString('en-US')} of ${missing.toLocaleString('en-US')} inserted`);
        });
        // A service of its own per size, heartbeating like a worker until the end: inserting a million
        // tasks outlasts the expiry, and an expired service's tasks would be requeued and claimed again.
        const serviceId = await registerService(compute, `scaling-claimer-${size}`);
        heartbeats.push(keepAlive(compute, serviceId));
        const warmUpUntil = nowMs() + budgetMs / 4;
        for (let i = 0; i < warmUpClaims && nowMs() < warmUpUntil; i += 1) await claim(compute, serviceId, [protocol]);
        // A slow size gets fewer claims rather than a run that takes hours.
        const latencies: number[] = [];
        const cpuStart = await meter.mark();
        const measureUntil = nowMs() + budgetMs;
        for (let i = 0; i < claims && (i < minimumClaims || nowMs() < measureUntil); i += 1) {
          const started = nowMs();
          const got = await claim(compute, serviceId, [protocol]);
          latencies.push(nowMs() - started);
          if (got.length !== 1) throw new Error(`a claim at ${size} waiting tasks returned ${got.length} tasks`);
        }
        const cpuPerClaim = perOperation(await meter.since(cpuStart), latencies.length);
        const plans = [
          await explain(server.database.url, 'sampleClaimableHubs', (tx) =>
            sampleClaimableHubs(
              tx,
              { protocols: [protocol], scopes: [{ org: 'bench', campaign: '*', project: '*' }] },
              drawPoints(Math.random),
            ),
          ),
          await explain(server.database.url, 'lockClaimableTasks', (tx) => lockClaimableTasks(tx, hubId, [protocol], 1)),
        ];
        points.push({ waiting: size, latency: summarize(latencies), cpuPerClaim, plans });
        ctx.log(
          `${size.toLocaleString('en-US')} waiting: p50 ${fmtMs(points.at(-1)!.latency.p50)}, lock query ${plans[1]!.executionMs.toFixed(2)} ms, server CPU ${fmtCpuMs(cpuPerClaim.processMs)} per claim`,
        );
      }
      const doubled = await tasksClaimedTwice(server.database.url);
      const released = await releasedClaims(server.database.url);
      checks.push({
        name: 'no task held by two claims at once (database)',
        ok: doubled === 0,
        detail: `${doubled} tasks claimed again while still held; ${released} claims released by a requeue`,
      });
    } finally {
      for (const timer of heartbeats) clearInterval(timer);
      await meter?.close();
      await server.stop();
    }

    const first = points[0] as SizePoint;
    const last = points.at(-1) as SizePoint;
    const growth = last.latency.p50 / first.latency.p50;
    // At a thousand rows a sequential scan is the planner's right choice; what matters is the largest size.
    const readsEveryRow = (plan: Plan) => plan.seqScans.some((t) => t === 'Task' || t === 'TaskAction');
    const planAt = (point: SizePoint, query: string) => point.plans.find((p) => p.query === query) as Plan;
    const lockPlan = planAt(last, 'lockClaimableTasks');
    const notes: string[] = [];
    for (const query of ['sampleClaimableHubs', 'lockClaimableTasks']) {
      const big = planAt(last, query);
      if (!readsEveryRow(big)) continue;
      notes.push(
        `\`${query}\`, which every claim runs, reads the Task table in full at ${last.waiting.toLocaleString('en-US')} waiting tasks (a sequential scan): ` +
          `${planAt(first, query).executionMs.toFixed(2)} ms at ${first.waiting.toLocaleString('en-US')}, ${big.executionMs.toFixed(2)} ms at ${last.waiting.toLocaleString('en-US')}.`,
      );
    }
    if (!sizes.includes(1_000_000)) notes.push('The 1,000,000-task point is part of the full run (BENCH_SCALE=full) only.');
    return {
      anchor: `the same claim at ${first.waiting.toLocaleString('en-US')} waiting tasks`,
      howMeasured: [
        `One compute service claims one task at a time through the GraphQL API of a \`dagkeeper server\` process with ${sizes.map((s) => s.toLocaleString('en-US')).join(', ')} WAITING tasks on its hub ` +
          `(bulk-inserted with SQL, topped up before each size, tables vacuumed and analyzed). Up to ${warmUpClaims} warm-up claims, then ${claims} measured claims per size, ` +
          `or as many as fit in ${ctx.scale.scalingSecondsPerSize} s (at least ${minimumClaims}); the raw numbers give each size's count.`,
        'At each size the two queries of a claim, taken from `src/storage/state/sql/claimTasks.ts` itself, are run under `EXPLAIN (ANALYZE, BUFFERS)` in a transaction that is rolled back: ' +
          '`sampleClaimableHubs` (a draw of hubs with work, part of the check-in) and `lockClaimableTasks` (`FOR UPDATE SKIP LOCKED`).',
        "CPU per claim at each size, from /proc between the first and the last measured claim of that size, divided by its claims (bench/support/cpu.ts): the server process, its database's PostgreSQL backends, all PostgreSQL processes, and the benchmark process sending the claims. " +
          "The window also holds the heartbeats (one per service every 4 s) of this size's claimer and the earlier sizes' services, a few requests against dozens of claims a second. " +
          `The CPU rows at ${last.waiting.toLocaleString('en-US')} waiting set the largest size beside the smallest; the rows "CPU per claim at … waiting" give every size.`,
      ],
      rows: [
        {
          metric: `p50 at ${last.waiting.toLocaleString('en-US')} waiting`,
          dagkeeper: fmtMs(last.latency.p50),
          anchor: `${fmtMs(first.latency.p50)} at ${first.waiting.toLocaleString('en-US')}`,
          ratio: `${fmtRatio(growth)} (growth)`,
        },
        ...points.map((p) => ({
          metric: `p50 / p99 at ${p.waiting.toLocaleString('en-US')} waiting (${p.latency.count} claims)`,
          dagkeeper: `${fmtMs(p.latency.p50)} / ${fmtMs(p.latency.p99)}`,
          anchor: fmtMs(first.latency.p50),
          ratio: fmtRatio(p.latency.p50 / first.latency.p50),
        })),
        ...cpuRows(`per claim at ${last.waiting.toLocaleString('en-US')} waiting`, [last.cpuPerClaim], {
          rounds: [first.cpuPerClaim],
          per: `per claim at ${first.waiting.toLocaleString('en-US')}`,
        }),
        ...points.map((p) => ({
          metric: `CPU per claim at ${p.waiting.toLocaleString('en-US')} waiting: server / its backends / all PostgreSQL`,
          dagkeeper: `${fmtCpuMs(p.cpuPerClaim.processMs)} / ${fmtCpuMs(p.cpuPerClaim.backendsMs)} / ${fmtCpuMs(p.cpuPerClaim.postgresMs)}`,
          anchor: fmtCpuMs(first.cpuPerClaim.processMs),
          ratio: `${fmtRatio(p.cpuPerClaim.processMs / first.cpuPerClaim.processMs)} (server)`,
        })),
        ...points.map((p) => ({
          metric: `plans at ${p.waiting.toLocaleString('en-US')}`,
          dagkeeper: p.plans
            .map(
              (plan) =>
                `${plan.query}: ${plan.executionMs.toFixed(2)} ms, ${plan.indexes.length > 0 ? plan.indexes.join(', ') : 'no index'}${plan.seqScans.length > 0 ? `; seq scan of ${plan.seqScans.join(', ')}` : ''}`,
            )
            .join(' — '),
          anchor: '',
          ratio: '',
        })),
      ],
      verdicts: [
        {
          target: `p50 grows < 2× from ${first.waiting.toLocaleString('en-US')} to ${last.waiting.toLocaleString('en-US')} waiting tasks`,
          pass: growth < 2,
          detail: fmtRatio(growth),
        },
        {
          target: `EXPLAIN of the claim query (\`lockClaimableTasks\`) at ${last.waiting.toLocaleString('en-US')} waiting tasks shows index use, no sequential scan of Task or TaskAction`,
          pass: !readsEveryRow(lockPlan) && lockPlan.indexes.length > 0,
          detail: `${lockPlan.indexes.join(', ') || 'no index'}${lockPlan.seqScans.length > 0 ? `; seq scan of ${lockPlan.seqScans.join(', ')}` : ''}`,
        },
      ],
      checks,
      raw: { claims, warmUpClaims, points: points.map((p) => ({ ...p, plans: p.plans.map(({ text: _text, ...plan }) => plan) })) },
      exhibits: last.plans.map((plan) => ({
        title: `\`EXPLAIN (ANALYZE, BUFFERS)\` of \`${plan.query}\` at ${last.waiting.toLocaleString('en-US')} waiting tasks`,
        text: plan.text.join('\n'),
      })),
      notes,
    };
  },
};

/**
 * Captures the SQL a claim-query function sends (a transaction's statements go through Prisma's
 * `$queryRawUnsafe`, src/storage/state/directSql.ts) and runs it under EXPLAIN ANALYZE with the same
 * parameters, in a transaction rolled back so no row stays locked.
 */
async function explain(databaseUrl: string, name: string, query: (tx: StateTx) => Promise<unknown>): Promise<Plan> {
  const { text: sql, values } = await statementSent(query);
  return withDatabase(databaseUrl, async (client) => {
    await client.query('BEGIN');
    try {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, values);
      const text = rows.map((r) => r['QUERY PLAN']);
      const indexes = [
        ...new Set(
          text.flatMap(
            (line) =>
              /(Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\S+)/.exec(line)?.slice(1, 3).join(' using ') ??
              [],
          ),
        ),
      ];
      const seqScans = [...new Set(text.flatMap((line) => /Seq Scan on "?(\w+)"?/.exec(line)?.[1] ?? []))];
      const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(text.join('\n'))?.[1] ?? Number.NaN);
      return { query: name, executionMs, indexes, seqScans, text };
    } finally {
      await client.query('ROLLBACK');
    }
  });
}
