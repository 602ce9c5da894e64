import type { ApiClient } from '../src/client/ApiClient.js';
import type { Benchmark, BenchContext, BenchResult, Check } from './support/benchmark.js';
import { fmtMs, fmtRatio } from './support/benchmark.js';
import { claim, createNetwork, keepAlive, registerService, tasksClaimedTwice, vacuumAnalyze, withDatabase } from './support/campaign.js';
import { addCpu, openCpuMeter, perOperation } from './support/cpu.js';
import type { CpuMeter, CpuUse } from './support/cpu.js';
import { startBenchServer } from './support/server.js';
import type { BenchServer } from './support/server.js';
import { median, nowMs, percentile } from './support/stats.js';

/**
 * 9. Claims as hubs grow: claim latency with 10, 1,000 and 100,000 networks, each with a hub holding
 * claimable tasks, all in the claimer's scopes; and with the claimer's scope covering only a few
 * networks among the largest number. Each number of networks has a server and database of its own,
 * so the cases run in alternating rounds (A, B, C, D, A, B, …) and a busy moment on the shared
 * machine falls on all of them alike.
 */

const protocol = 'bench-noop';
const transformationName = 'hub-scaling';
/** Networks in the narrow claimer's scope, next to the many it may not claim from. */
const fewNetworks = 5;
/** Scopes the networks of one size are spread over (org `bench`, so `bench-*-*` covers them all). */
const maxScopes = 100;

interface Case {
  name: string;
  networks: number;
  /** How many of them the claimer may claim from. */
  inScope: number;
  server: BenchServer;
  compute: ApiClient;
  serviceId: string;
  meter: CpuMeter;
  /** Hubs of the networks the claimer may claim from, to check that it got nothing else. */
  allowedHubs: Set<string>;
  latencies: number[][];
  cpu: CpuUse[];
  claimed: string[];
}

export const claimHubScaling: Benchmark = {
  id: 9,
  name: 'hubs',
  title: 'Claim latency vs networks with work',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const sizes = [...ctx.scale.hubScalingSizes].sort((a, b) => a - b);
    const { hubScalingClaims: claimsPerRound, hubScalingRounds: rounds } = ctx.scale;
    const largest = sizes.at(-1) as number;
    // Enough tasks on every hub that no round drains one, and never fewer than two.
    const tasksPerHub = (networks: number) => Math.max(2, Math.ceil((3 * (rounds + 1) * claimsPerRound) / networks));
    const cases: Case[] = [];
    const servers: BenchServer[] = [];
    const heartbeats: NodeJS.Timeout[] = [];
    const checks: Check[] = [];
    try {
      for (const networks of sizes) {
        const server = await startBenchServer();
        servers.push(server);
        ctx.log(`${networks.toLocaleString('en-US')} networks: inserting hubs and ${tasksPerHub(networks)} tasks on each`);
        const { client: user } = await server.identity('USER', 'bench-user', ['bench-*-*', 'few-*-*']);
        await createNetwork(user, 'bench-c0-p0', 'hub scaling', [{ name: transformationName, protocol, settings: {} }]);
        const everyHub = await insertNetworks(server.database.url, { prefix: 'bench', networks, tasksPerHub: tasksPerHub(networks) });
        const wide = await claimerCase(server, `${networks.toLocaleString('en-US')} networks in scope`, ['bench-*-*'], heartbeats);
        cases.push({ ...wide, networks, inScope: networks, allowedHubs: everyHub });
        if (networks === largest) {
          const fewHubs = await insertNetworks(server.database.url, {
            prefix: 'few',
            networks: fewNetworks,
            tasksPerHub: tasksPerHub(fewNetworks),
          });
          const narrow = await claimerCase(
            server,
            `${fewNetworks} of ${(networks + fewNetworks).toLocaleString('en-US')} networks in scope`,
            ['few-*-*'],
            heartbeats,
          );
          cases.push({ ...narrow, networks: networks + fewNetworks, inScope: fewNetworks, allowedHubs: fewHubs });
        }
        await vacuumAnalyze(server.database.url, ['"Scope"', '"AlchemicalNetwork"', '"TaskHub"', '"Task"', '"TaskAction"']);
      }

      // Warm-up round, then alternating measured rounds.
      for (let round = 0; round <= rounds; round += 1) {
        for (const c of cases) {
          const start = await c.meter.mark();
          const latencies: number[] = [];
          for (let i = 0; i < claimsPerRound; i += 1) {
            const started = nowMs();
            const got = await claim(c.compute, c.serviceId, [protocol]);
            latencies.push(nowMs() - started);
            if (got.length !== 1) throw new Error(`${c.name}: a claim returned ${got.length} tasks`);
            c.claimed.push(got[0]!.taskId);
          }
          const cpu = await c.meter.since(start);
          if (round === 0) continue;
          c.latencies.push(latencies);
          c.cpu.push(perOperation(cpu, claimsPerRound));
          ctx.log(`round ${round}/${rounds} ${c.name}: p50 ${fmtMs(median(latencies))}, p99 ${fmtMs(percentile(latencies, 99))}`);
        }
      }

      for (const c of cases) {
        const doubled = await tasksClaimedTwice(c.server.database.url);
        const outside = await tasksOutside(c.server.database.url, c.claimed, c.allowedHubs);
        checks.push(
          { name: `${c.name}: no task held by two claims at once (database)`, ok: doubled === 0, detail: `${doubled} tasks` },
          {
            name: `${c.name}: every task claimed is on a hub of the claimer's scopes`,
            ok: outside === 0,
            detail: `${outside} of ${c.claimed.length} outside`,
          },
        );
      }
    } finally {
      for (const timer of heartbeats) clearInterval(timer);
      for (const c of cases) await c.meter.close();
      for (const server of servers) await server.stop();
    }

    const p50 = (c: Case) => median(c.latencies.map((l) => median(l)));
    const p99 = (c: Case) => median(c.latencies.map((l) => percentile(l, 99)));
    const range = (c: Case, stat: (l: number[]) => number) => {
      const values = c.latencies.map(stat);
      return `${fmtMs(Math.min(...values))}–${fmtMs(Math.max(...values))}`;
    };
    const cpuMedian = (c: Case, pick: (u: CpuUse) => number) => median(c.cpu.map(pick));
    const smallest = cases[0] as Case;
    const biggest = cases.find((c) => c.networks === largest && c.inScope === largest) as Case;
    const growth = p50(biggest) / p50(smallest);
    return {
      anchor: `the same claim with ${smallest.networks.toLocaleString('en-US')} networks`,
      howMeasured: [
        `For each of ${sizes.map((s) => s.toLocaleString('en-US')).join(', ')} networks, a \`dagkeeper server\` process of its own on a database of its own. ` +
          `The networks, their hubs (weight 0.5) and their WAITING tasks are bulk-inserted with SQL (spread over up to ${maxScopes} scopes \`bench-cN-p1\`; ` +
          'enough tasks per hub that no round empties one), then the tables vacuumed and analyzed.',
        "One compute service, whose identity's scope `bench-*-*` covers every network, claims one task at a time through the GraphQL API. " +
          `With ${largest.toLocaleString('en-US')} networks a second identity, of scope \`few-*-*\`, claims from the ${fewNetworks} networks of that scope among them.`,
        `One warm-up round, then ${rounds} rounds of ${claimsPerRound} claims per case, the cases alternating within each round; ` +
          'p50 and p99 are medians over the rounds (ranges beside them). CPU per claim is read from /proc around each round: the server process, and the PostgreSQL backends of its database.',
        'The server runs at its defaults: a service reuses its check-in (heartbeat, failures, hubs with work) for up to 1 s, so about one claim a second pays for the check-in.',
      ],
      rows: [
        {
          metric: `p50 with ${largest.toLocaleString('en-US')} networks in scope`,
          dagkeeper: fmtMs(p50(biggest)),
          anchor: `${fmtMs(p50(smallest))} with ${smallest.networks.toLocaleString('en-US')}`,
          ratio: `${fmtRatio(growth)} (growth)`,
        },
        ...cases.map((c) => ({
          metric: `${c.name}: p50 / p99 (ranges over ${c.latencies.length} rounds)`,
          dagkeeper: `${fmtMs(p50(c))} (${range(c, median)}) / ${fmtMs(p99(c))} (${range(c, (l) => percentile(l, 99))})`,
          anchor: fmtMs(p50(smallest)),
          ratio: fmtRatio(p50(c) / p50(smallest)),
        })),
        ...cases.map((c) => ({
          metric: `${c.name}: CPU per claim, server / PostgreSQL backends`,
          dagkeeper: `${cpuMedian(c, (u) => u.processMs).toFixed(2)} ms / ${cpuMedian(c, (u) => u.backendsMs).toFixed(2)} ms`,
          anchor: '',
          ratio: '',
        })),
      ],
      verdicts: [
        {
          target: `claim p50 with ${largest.toLocaleString('en-US')} networks in the claimer's scopes within 2× of the p50 with ${smallest.networks.toLocaleString('en-US')}`,
          pass: growth <= 2,
          detail: fmtRatio(growth),
        },
      ],
      checks,
      raw: {
        claimsPerRound,
        rounds,
        cases: cases.map((c) => ({
          name: c.name,
          networks: c.networks,
          inScope: c.inScope,
          roundP50: c.latencies.map((l) => median(l)),
          roundP99: c.latencies.map((l) => percentile(l, 99)),
          cpuPerClaim: c.cpu,
          cpuTotalPerClaim: c.cpu.reduce(addCpu),
        })),
      },
    };
  },
};

async function claimerCase(
  server: BenchServer,
  name: string,
  scopes: string[],
  heartbeats: NodeJS.Timeout[],
): Promise<Pick<Case, 'name' | 'server' | 'compute' | 'serviceId' | 'meter' | 'latencies' | 'cpu' | 'claimed'>> {
  const { client: compute } = await server.identity('COMPUTE', `claimer-${scopes[0]!.split('-')[0]!}`, scopes);
  const serviceId = await registerService(compute, `claimer-${name.replace(/[^A-Za-z0-9]+/g, '_')}`);
  heartbeats.push(keepAlive(compute, serviceId));
  const meter = await openCpuMeter({ pid: server.pid, databases: [server.database.name] });
  return { name, server, compute, serviceId, meter, latencies: [], cpu: [], claimed: [] };
}

/**
 * `networks` ACTIVE networks of scopes `<prefix>-cN-p1`, each with a hub of weight 0.5 holding
 * `tasksPerHub` WAITING tasks of the benchmark's transformation, in one statement of plain SQL (the
 * API creates one network per call). The rows are what NetworkService.create, TaskService.create and
 * actionTasks write, minus nodes, edges and creation events, which no claim reads. Returns the hub ids.
 */
async function insertNetworks(databaseUrl: string, plan: { prefix: string; networks: number; tasksPerHub: number }): Promise<Set<string>> {
  return withDatabase(databaseUrl, async (client) => {
    const scopes = Math.min(plan.networks, maxScopes);
    await client.query(
      `INSERT INTO "Scope" (id, org, campaign, project)
       SELECT gen_random_uuid(), $1, 'c' || g, 'p1' FROM generate_series(1, $2::int) g
       ON CONFLICT DO NOTHING`,
      [plan.prefix, scopes],
    );
    const { rows } = await client.query<{ id: string }>(
      `WITH scopes AS (SELECT id, row_number() OVER (ORDER BY campaign) - 1 AS n FROM "Scope" WHERE org = $1 AND project = 'p1'),
       transformation AS (SELECT id FROM "Transformation" WHERE name = $4),
       networks AS (
         INSERT INTO "AlchemicalNetwork" (id, key, "scopeId", name, state)
         SELECT gen_random_uuid(), 'AlchemicalNetwork-' || md5($1 || g), s.id, 'hub ' || g, 'ACTIVE'
           FROM generate_series(1, $2::int) g JOIN scopes s ON s.n = g % $5::int
         RETURNING id, "scopeId"),
       hubs AS (
         INSERT INTO "TaskHub" (id, "networkId", weight) SELECT gen_random_uuid(), id, 0.5 FROM networks
         RETURNING id, "networkId"),
       planned AS MATERIALIZED (
         SELECT gen_random_uuid() AS task_id, h.id AS hub_id, n."scopeId" AS scope_id, k
           FROM hubs h JOIN networks n ON n.id = h."networkId" CROSS JOIN generate_series(1, $3::int) k),
       tasks AS (
         INSERT INTO "Task" (id, "scopeId", "transformationId", status, priority, fence, seed, "createdAt", "updatedAt")
         SELECT p.task_id, p.scope_id, (SELECT id FROM transformation), 'WAITING', 10, 0, 0, now() - p.k * interval '1 millisecond', now()
           FROM planned p
         RETURNING id),
       -- From the inserted tasks, so each task is in before its action, whose trigger copies it.
       actions AS (INSERT INTO "TaskAction" ("hubId", "taskId") SELECT p.hub_id, t.id FROM tasks t JOIN planned p ON p.task_id = t.id)
       SELECT DISTINCT hub_id::text AS id FROM planned`,
      [plan.prefix, plan.networks, plan.tasksPerHub, transformationName, scopes],
    );
    return new Set(rows.map((r) => r.id));
  });
}

/** Claimed tasks on no hub of `allowed`. */
async function tasksOutside(databaseUrl: string, taskIds: string[], allowed: Set<string>): Promise<number> {
  return withDatabase(databaseUrl, async (client) => {
    const { rows } = await client.query<{ task: string; hubs: string[] }>(
      'SELECT "taskId"::text AS task, array_agg("hubId"::text) AS hubs FROM "TaskAction" WHERE "taskId" = ANY($1::uuid[]) GROUP BY "taskId"',
      [taskIds],
    );
    const onAllowedHub = new Set(rows.filter((r) => r.hubs.some((h) => allowed.has(h))).map((r) => r.task));
    return taskIds.filter((id) => !onAllowedHub.has(id)).length;
  });
}
