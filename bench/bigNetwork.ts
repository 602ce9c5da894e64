import type { ApiClient } from '../src/client/ApiClient.js';
import { WorkerApi } from '../src/worker/WorkerApi.js';
import type { Benchmark, BenchContext, BenchResult, Check } from './support/benchmark.js';
import { fmtBytes, fmtCpuMs, fmtRatio, fmtSeconds } from './support/benchmark.js';
import { claim, registerService } from './support/campaign.js';
import { openCpuMeter, perOperation } from './support/cpu.js';
import type { CpuMeter, CpuUse } from './support/cpu.js';
import { cpuRows, totalMs } from './support/cpuRows.js';
import { startBenchServer } from './support/server.js';
import { median, timed } from './support/stats.js';

/**
 * 8. Big networks: submit a network of 2,000 transformations, then fetch the results of all of them,
 * both through the GraphQL API as the CLI and a user's script do.
 */

const protocol = 'bench-rbfe';
const createTarget = 10_000;
const fetchTarget = 5_000;
const predecessorMs = 71 * 60_000;
/** The fields `dagkeeper network create` asks for (src/cli/commands/network.ts). */
const countFields = 'waiting running complete error invalid deleted';
const createMutation = `mutation ($scope: String!, $input: NetworkInput!) {
  createNetwork(scope: $scope, input: $input) { created network { scopedKey scope name weight createdAt statusCounts { ${countFields} }
    transformations { scopedKey name protocol stateA { name } stateB { name } statusCounts { ${countFields} } } } } }`;
const resultsQuery = `query ($network: ID!, $after: String) {
  tasks(first: 1000, after: $after, filter: { networkKey: $network, status: COMPLETE }) {
    edges { node { id transformation { scopedKey } dagResults(ok: true) { document } } }
    pageInfo { hasNextPage endCursor } } }`;

interface CreatedNetwork {
  scopedKey: string;
  transformations: Array<{ scopedKey: string }>;
}

/** A campaign-shaped network: ligands in a ring, each linked to its next two neighbours. */
function networkInput(transformations: number, name: string) {
  const ligands = Math.max(3, Math.ceil(transformations / 2));
  const ligandName = (i: number) => `ligand-${String(i % ligands).padStart(5, '0')}`;
  return {
    name,
    chemicalSystems: Array.from({ length: ligands }, (_, i) => ({
      name: ligandName(i),
      components: {
        ligand: { smiles: `c1ccc(cc1)C${'C'.repeat(i % 7)}N${i}`, charge: 0 },
        protein: 'tyk2',
        solvent: { ionicStrengthM: 0.15 },
      },
    })),
    transformations: Array.from({ length: transformations }, (_, i) => {
      const from = Math.floor(i / 2);
      const to = from + 1 + (i % 2);
      return {
        name: `${ligandName(from)} -> ${ligandName(to)}`,
        stateA: ligandName(from),
        stateB: ligandName(to),
        protocol,
        settings: { forcefield: 'openff-2.1.0', lambdaWindows: 11, temperatureK: 298.15, productionNs: 5, repeats: 3 },
      };
    }),
  };
}

export const bigNetwork: Benchmark = {
  id: 8,
  name: 'network',
  title: 'Big networks: create, then fetch all results',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { networkTransformations: size, networkRounds: rounds } = ctx.scale;
    const createMs: number[] = [];
    const fetchMs: number[] = [];
    const createCpu: CpuUse[] = [];
    const fetchCpu: CpuUse[] = [];
    const checks: Check[] = [];
    let requestBytes = 0;
    let responseBytes = 0;
    const server = await startBenchServer();
    let meter: CpuMeter | undefined;
    try {
      const cpuMeter = await openCpuMeter({ pid: server.pid, databases: [server.database.name] });
      meter = cpuMeter;
      const { client: user } = await server.identity('USER', 'bench-user', ['bench-net-*']);
      const { client: compute } = await server.identity('COMPUTE', 'bench-cluster', ['bench-*-*']);
      const create = async (scope: string) => {
        const input = networkInput(size, `campaign ${scope}`);
        requestBytes = JSON.stringify({ query: createMutation, variables: { scope, input } }).length;
        const cpuStart = await cpuMeter.mark();
        const { ms, value } = await timed(() =>
          user.request<{ createNetwork: { created: boolean; network: CreatedNetwork } }>(createMutation, { scope, input }),
        );
        const cpu = await cpuMeter.since(cpuStart);
        const created = value.createNetwork;
        checks.push({
          name: `${scope}: a new network with all ${size} transformations`,
          ok: created.created && created.network.transformations.length === size,
          detail: `${created.network.transformations.length} transformations, created: ${created.created}`,
        });
        return { ms, cpu, network: created.network };
      };

      ctx.log(`warm-up: a network of ${size} transformations`);
      await create('bench-net-warmup');
      let measured: CreatedNetwork | undefined;
      for (let round = 1; round <= rounds; round += 1) {
        const { ms, cpu, network } = await create(`bench-net-round${round}`);
        createMs.push(ms);
        createCpu.push(cpu);
        measured ??= network;
        ctx.log(`round ${round}: created in ${fmtSeconds(ms)}, server CPU ${fmtCpuMs(cpu.processMs)}`);
      }
      const network = measured as CreatedNetwork;

      ctx.log(`giving each of the ${size} transformations a completed task (through the API; not timed)`);
      await completeOneTaskEach(user, compute, network);

      const fetchAll = async () => {
        const results = new Map<string, unknown>();
        let after: string | null = null;
        let bytes = 0;
        for (;;) {
          const page: {
            tasks: {
              edges: Array<{ node: { id: string; transformation: { scopedKey: string }; dagResults: Array<{ document: unknown }> } }>;
              pageInfo: { hasNextPage: boolean; endCursor: string | null };
            };
          } = await user.request(resultsQuery, { network: network.scopedKey, after });
          bytes += JSON.stringify(page).length;
          for (const { node } of page.tasks.edges) {
            const document = node.dagResults[0]?.document;
            if (document !== undefined) results.set(node.transformation.scopedKey, document);
          }
          if (!page.tasks.pageInfo.hasNextPage) break;
          after = page.tasks.pageInfo.endCursor;
        }
        responseBytes = bytes;
        return results;
      };
      ctx.log('fetching every result: warm-up');
      await fetchAll();
      for (let round = 1; round <= rounds; round += 1) {
        const cpuStart = await cpuMeter.mark();
        const { ms, value: results } = await timed(fetchAll);
        const cpu = await cpuMeter.since(cpuStart);
        fetchMs.push(ms);
        fetchCpu.push(cpu);
        const withDeltaF = [...results.values()].filter((doc) => JSON.stringify(doc).includes('"deltaF"')).length;
        checks.push({
          name: `fetch ${round}: one successful result for every transformation`,
          ok: results.size === size && withDeltaF === size,
          detail: `${results.size} transformations with a result, ${withDeltaF} with ΔF`,
        });
        ctx.log(`round ${round}: fetched ${results.size} results in ${fmtSeconds(ms)}, server CPU ${fmtCpuMs(cpu.processMs)}`);
      }
    } finally {
      await meter?.close();
      await server.stop();
    }

    const create = median(createMs);
    const fetch = median(fetchMs);
    return {
      anchor: "the issue's targets (no other system runs here); the Python predecessor's reported 71 minutes as context",
      howMeasured: [
        `Create: \`createNetwork\` with the selection \`dagkeeper network create\` asks for (every transformation with its status counts), one request of ${fmtBytes(requestBytes)} ` +
          `holding ${size.toLocaleString('en-US')} transformations between ${Math.max(3, Math.ceil(size / 2)).toLocaleString('en-US')} ligands, sent with the CLI's ApiClient to a \`dagkeeper server\` process (PostgreSQL, local object store, defaults). ` +
          `Each round submits a new network in a new scope; a warm-up network first; ${rounds} round(s), median.`,
        'Between the two, untimed: one task per transformation is created, actioned, claimed, given a unit result and finished through the API, so every transformation has a successful ProtocolDAGResult.',
        `Fetch: what a user's script does with the API — \`tasks(filter: {networkKey, status: COMPLETE}, first: 1000)\` page by page, each task with its transformation and its successful result document (${fmtBytes(responseBytes)} in all). A warm-up fetch first; ${rounds} round(s), median.`,
        "CPU per create and per fetch of all results, from /proc between marks taken just outside each timed request or fetch (bench/support/cpu.ts): the server process, its database's PostgreSQL backends, all PostgreSQL processes, and the benchmark process (the client: serializing the request, parsing the answer). " +
          `The row "CPU per transformation" divides the total of server, backends and client by the ${size.toLocaleString('en-US')} transformations.`,
      ],
      rows: [
        {
          metric: 'create',
          dagkeeper: fmtSeconds(create),
          anchor: `target < ${fmtSeconds(createTarget)}`,
          ratio: `${fmtRatio(create / createTarget)} of the target`,
        },
        {
          metric: 'fetch all results',
          dagkeeper: fmtSeconds(fetch),
          anchor: `target < ${fmtSeconds(fetchTarget)}`,
          ratio: `${fmtRatio(fetch / fetchTarget)} of the target`,
        },
        {
          metric: 'create + fetch',
          dagkeeper: fmtSeconds(create + fetch),
          anchor: '71 min reported for the Python predecessor (not measured here)',
          ratio: `${Math.round(predecessorMs / (create + fetch)).toLocaleString('en-US')}× less time`,
        },
        ...cpuRows(`per create (${size.toLocaleString('en-US')} transformations)`, createCpu),
        ...cpuRows('per fetch of all results', fetchCpu),
        {
          metric: 'CPU per transformation (server + backends + client): create / fetch',
          dagkeeper: `${fmtCpuMs(median(createCpu.map(totalMs)) / size)} / ${fmtCpuMs(median(fetchCpu.map(totalMs)) / size)}`,
          anchor: '',
          ratio: '',
        },
      ],
      verdicts: [
        {
          target: `create < 10 s (${size.toLocaleString('en-US')} transformations)`,
          pass: create < createTarget,
          detail: fmtSeconds(create),
        },
        { target: 'fetch < 5 s', pass: fetch < fetchTarget, detail: fmtSeconds(fetch) },
      ],
      checks,
      raw: {
        transformations: size,
        requestBytes,
        responseBytes,
        createMs,
        fetchMs,
        createCpu,
        fetchCpu,
        createCpuPerTransformation: createCpu.map((u) => perOperation(u, size)),
        fetchCpuPerTransformation: fetchCpu.map((u) => perOperation(u, size)),
      },
      notes: size < 2_000 ? [`This run used ${size} transformations; the targets are for 2,000.`] : [],
    };
  },
};

/**
 * One COMPLETE task per transformation, through the API as a worker would make it: created with a
 * one-unit DAG, actioned, claimed a hundred at a time, its unit result submitted and finished.
 */
async function completeOneTaskEach(user: ApiClient, compute: ApiClient, network: CreatedNetwork): Promise<void> {
  const dag = { name: 'rbfe', units: [{ key: 'analysis', name: 'Analysis', dependencies: [] }] };
  const taskIds: string[] = [];
  await inParallel(network.transformations, 8, async ({ scopedKey }) => {
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $dag: JSON!) { createTasks(transformationKey: $t, dag: $dag) { id } }',
      { t: scopedKey, dag },
    );
    taskIds.push(createTasks[0]!.id);
  });
  await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
    n: network.scopedKey,
    ids: taskIds,
  });
  const services = await Promise.all(Array.from({ length: 4 }, (_, i) => registerService(compute, `finisher-${i}`)));
  const api = new WorkerApi(compute);
  await Promise.all(
    services.map(async (serviceId) => {
      for (;;) {
        const claimed = await claim(compute, serviceId, [protocol], 100);
        if (claimed.length === 0) return;
        await inParallel(claimed, 2, async ({ token }) => {
          const endedAt = new Date();
          await api.submitUnitResult(token, {
            unitKey: 'analysis',
            ok: true,
            outputs: { deltaF: -1.25 + Math.random(), sigma: 0.12, units: 'kcal/mol' },
            startedAt: new Date(endedAt.getTime() - 60_000).toISOString(),
            endedAt: endedAt.toISOString(),
          });
          await api.finish(token);
        });
      }
    }),
  );
}

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}
