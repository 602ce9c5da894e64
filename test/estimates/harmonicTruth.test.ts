import { readFile } from 'node:fs/promises';
import type { ApiClient } from '../../src/client/ApiClient.js';
import type { NetworkInput } from '../../src/domain/networks/networkInput.js';
import { subscribeToTaskEvents } from '../support/eventStream.js';
import type { EventStream } from '../support/eventStream.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';
import { startWorkerProcess } from '../support/workerProcess.js';

/**
 * Issue 17, item 9: the answers checked against the truth. Harmonic wells k = 1, 2, 4, 8 have exact
 * free energies (kT/2)·ln(k) (relative to k = 1), so every number the server computes from what real
 * workers ran can be compared with them: each transformation's estimate, the network fit, the cycle
 * closures, and how σ shrinks with repeats. The tasks are given fixed seeds, so the statistics are the
 * same on every run (and a failure is a real one, not bad luck); one more pair of tasks with random
 * seeds shows that repeats are independent by default.
 */
const example = new URL('../../examples/harmonic-wells-cycles.json', import.meta.url);
const kT = 1;
/** Repeats per transformation: 2→4 four times and 1→2 once, the two same-ratio edges whose σ are compared. */
const repeats: Record<string, number> = {
  'well-k1->well-k2': 1,
  'well-k2->well-k4': 4,
  'well-k1->well-k4': 1,
  'well-k4->well-k8': 1,
  'well-k2->well-k8': 1,
};

interface Estimate {
  value: number;
  uncertainty: number;
  unit: string;
  n: number;
}

interface NetworkFit {
  unit: string;
  disconnected: boolean;
  chemicalSystems: Array<{ chemicalSystem: { name: string; components: { k: number } }; value: number; uncertainty: number }>;
  transformations: Array<{
    transformation: { name: string; stateA: { components: { k: number } }; stateB: { components: { k: number } } };
    measured: Estimate | null;
    fitted: number;
    fittedUncertainty: number;
  }>;
  cycles: Array<{ transformationKeys: string[]; value: number; uncertainty: number }>;
}

const fitQuery = `query ($k: ID!) { network(scopedKey: $k) { estimates {
  unit disconnected
  chemicalSystems { chemicalSystem { name components } value uncertainty }
  transformations { transformation { name stateA { components } stateB { components } } measured { value uncertainty unit n } fitted fittedUncertainty }
  cycles { transformationKeys value uncertainty } } } }`;

describe.each<StateKind>(['pglite', 'postgres'])(
  'free energies of harmonic wells, run by real workers, against the exact answers (%s)',
  (state) => {
    let server: TestApp;
    let user: ApiClient;
    let computeToken: string;
    let events: EventStream;
    /** The seeded campaign, and beside it (in a scope of its own, so apart) the same network for two unseeded repeats. */
    const truth = { scope: 'lab-wells-truth', networkKey: '', keys: new Map<string, string>() };
    const unseeded = { scope: 'lab-wells-repeats', networkKey: '', keys: new Map<string, string>() };
    const seededTaskIds: string[] = [];
    let unseededTaskIds: string[] = [];

    async function createNetwork(target: typeof truth): Promise<void> {
      const input = JSON.parse(await readFile(example, 'utf8')) as NetworkInput;
      const { createNetwork: created } = await user.request<{
        createNetwork: { network: { scopedKey: string; transformations: Array<{ name: string; scopedKey: string }> } };
      }>(
        'mutation ($s: String!, $input: NetworkInput!) { createNetwork(scope: $s, input: $input) { network { scopedKey transformations { name scopedKey } } } }',
        { s: target.scope, input },
      );
      target.networkKey = created.network.scopedKey;
      for (const t of created.network.transformations) target.keys.set(t.name, t.scopedKey);
    }

    async function createTasks(
      target: typeof truth,
      transformation: string,
      options: { seed?: number; count?: number },
    ): Promise<string[]> {
      const { createTasks: created } = await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!, $seed: SafeInt, $count: Int) { createTasks(transformationKey: $t, seed: $seed, count: $count) { id } }',
        { t: target.keys.get(transformation), seed: options.seed, count: options.count ?? 1 },
      );
      const ids = created.map((task) => task.id);
      await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: target.networkKey, ids });
      return ids;
    }

    beforeAll(async () => {
      server = await startTestApp(state);
      const userToken = (await createIdentity(server.admin, { kind: 'USER', name: 'scientist', scopes: ['lab-wells-*'] })).token;
      user = server.client(userToken);
      computeToken = (await createIdentity(server.admin, { kind: 'COMPUTE', name: 'cluster', scopes: ['lab-*-*'] })).token;
      await createNetwork(truth);
      await createNetwork(unseeded);
      const { taskEventCursor } = await user.request<{ taskEventCursor: string }>('{ taskEventCursor }');
      events = await subscribeToTaskEvents(server.app.url, userToken, { filter: { networkKey: truth.networkKey }, since: taskEventCursor });

      let seed = 1;
      for (const [name, count] of Object.entries(repeats)) {
        for (let i = 0; i < count; i += 1) seededTaskIds.push(...(await createTasks(truth, name, { seed: seed++ })));
      }
      unseededTaskIds = await createTasks(unseeded, 'well-k1->well-k2', { count: 2 });
      // Two worker processes take every task actioned and exit once nothing is left.
      const workers = ['a', 'b'].map((name) =>
        startWorkerProcess(server.app.url, computeToken, ['--name', `truth-${name}`, '--concurrency', '3', '--exit-when-idle']),
      );
      expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
    }, 240_000);
    afterAll(async () => {
      await events?.close();
      await server?.close();
    });

    test('every edge, fitted value and cycle closure agrees with (kT/2)·ln(k) within 3σ, and σ shrinks as 1/√n', async () => {
      const { statusCounts } = await user.request<{ statusCounts: { complete: number } }>(
        'query ($n: ID!) { statusCounts(networkKey: $n) { complete } }',
        { n: truth.networkKey },
      );
      expect(statusCounts.complete).toBe(seededTaskIds.length);

      const fit = (await user.request<{ network: { estimates: NetworkFit } }>(fitQuery, { k: truth.networkKey })).network.estimates;
      expect(fit.unit).toBe('kT');
      expect(fit.disconnected).toBe(false);
      for (const edge of fit.transformations) {
        const exact = (kT / 2) * Math.log(edge.transformation.stateB.components.k / edge.transformation.stateA.components.k);
        const measured = edge.measured!;
        expect(measured.n).toBe(repeats[edge.transformation.name]);
        expect(Math.abs(measured.value - exact)).toBeLessThan(3 * measured.uncertainty);
        expect(Math.abs(edge.fitted - exact)).toBeLessThan(3 * edge.fittedUncertainty);
      }
      for (const system of fit.chemicalSystems) {
        const exact = (kT / 2) * Math.log(system.chemicalSystem.components.k);
        if (system.chemicalSystem.name === 'well-k1') expect(system).toMatchObject({ value: 0, uncertainty: 0 });
        else expect(Math.abs(system.value - exact)).toBeLessThan(3 * system.uncertainty);
      }
      // Five edges over four wells: two independent cycles.
      expect(fit.cycles).toHaveLength(2);
      for (const cycle of fit.cycles) expect(Math.abs(cycle.value)).toBeLessThan(3 * cycle.uncertainty);

      // 1→2 and 2→4 double k alike, so one repeat of each has the same σ to expect; four repeats, half of it.
      const sigma = (name: string) => fit.transformations.find((t) => t.transformation.name === name)!.measured!.uncertainty;
      const ratio = sigma('well-k2->well-k4') / sigma('well-k1->well-k2');
      expect(ratio).toBeGreaterThan(0.3);
      expect(ratio).toBeLessThan(0.8);
    });

    test('each completed task changed its transformation’s estimate, and subscribers heard it (graphql-ws)', async () => {
      const changes = await events.waitFor((all) => all.filter((e) => e.__typename === 'EstimateChanged').length === seededTaskIds.length);
      const fourRepeats = truth.keys.get('well-k2->well-k4');
      const ofFour = changes.filter((e) => e.__typename === 'EstimateChanged' && e.transformationKey === fourRepeats);
      expect(ofFour.map((e) => e.n)).toEqual([1, 2, 3, 4]);
      expect(ofFour.at(-1)).toMatchObject({ networkKeys: [truth.networkKey], unit: 'kT' });
      const { transformation } = await user.request<{ transformation: { estimate: Estimate } }>(
        'query ($k: ID!) { transformation(scopedKey: $k) { estimate { value uncertainty unit n } } }',
        { k: fourRepeats },
      );
      expect(ofFour.at(-1)!.value).toBe(transformation.estimate.value);
      expect(ofFour.at(-1)!.uncertainty).toBe(transformation.estimate.uncertainty);
    });

    test('tasks created together get seeds of their own: two repeats give two different ΔF', async () => {
      const results = await Promise.all(
        unseededTaskIds.map(
          async (id) =>
            (
              await user.request<{ task: { seed: number; dagResults: Array<{ seed: number; estimate: Estimate }> } }>(
                'query ($id: ID!) { task(id: $id) { seed dagResults(ok: true) { seed estimate { value uncertainty unit } } } }',
                { id },
              )
            ).task,
        ),
      );
      expect(results[0]!.seed).not.toBe(results[1]!.seed);
      for (const task of results) expect(task.dagResults[0]!.seed).toBe(task.seed);
      expect(results[0]!.dagResults[0]!.estimate.value).not.toBe(results[1]!.dagResults[0]!.estimate.value);
    });
  },
);
