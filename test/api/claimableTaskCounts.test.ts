import type { ApiClient } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';

interface Count {
  protocol: string;
  scope: string;
  count: number;
}

const countsQuery = 'query ($p: [String!], $s: String) { claimableTaskCounts(protocols: $p, scope: $s) { protocol scope count } }';

describe.each<StateKind>(['postgres', 'pglite'])('claimable task counts, as compute managers watch them, on %s', (state) => {
  let server: TestApp;
  let alice: ApiClient;
  let bob: ApiClient;
  let hpc: ApiClient;
  let wide: ApiClient;

  beforeAll(async () => {
    server = await startTestApp(state);
    const identity = async (kind: 'USER' | 'COMPUTE', name: string, scopes: string[]) =>
      server.client((await createIdentity(server.admin, { kind, name, scopes })).token);
    alice = await identity('USER', 'alice', ['acme-c1-p1']);
    bob = await identity('USER', 'bob', ['acme-c2-p1']);
    hpc = await identity('COMPUTE', 'hpc', ['acme-c1-*']);
    wide = await identity('COMPUTE', 'wide', ['*-*-*']);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function network(as: ApiClient, scope: string, name: string, transformations: Array<{ name: string; protocol: string }>) {
    const { createNetwork } = await as.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string; name: string }> } };
    }>(
      'mutation ($s: String!, $i: NetworkInput!) { createNetwork(scope: $s, input: $i) { network { scopedKey transformations { scopedKey name } } } }',
      {
        s: scope,
        i: {
          name,
          chemicalSystems: [
            { name: 'a', components: { x: 1 } },
            { name: 'b', components: { x: 2 } },
          ],
          transformations: transformations.map((t) => ({ ...t, stateA: 'a', stateB: 'b', settings: {} })),
        },
      },
    );
    const byName = Object.fromEntries(createNetwork.network.transformations.map((t) => [t.name, t.scopedKey]));
    return { key: createNetwork.network.scopedKey, transformation: (n: string) => byName[n]! };
  }

  async function tasks(as: ApiClient, transformationKey: string, count: number, extendsId?: string): Promise<string[]> {
    const { createTasks } = await as.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $n: Int, $e: ID) { createTasks(transformationKey: $t, count: $n, extends: $e) { id } }',
      { t: transformationKey, n: count, e: extendsId },
    );
    return createTasks.map((t) => t.id);
  }

  const action = (as: ApiClient, networkKey: string, ids: string[]) =>
    as.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: networkKey, ids });

  const counts = async (as: ApiClient, protocols: string[] | null = null, scope: string | null = null): Promise<Count[]> =>
    (await as.request<{ claimableTaskCounts: Count[] }>(countsQuery, { p: protocols, s: scope })).claimableTaskCounts;

  test('count exactly what a claim of the same identity takes: actioned, WAITING, weighted hubs, parents complete, its scopes, each task once', async () => {
    const n1 = await network(alice, 'acme-c1-p1', 'main', [
      { name: 'ta', protocol: 'proto-a' },
      { name: 'tb', protocol: 'proto-b' },
    ]);
    // The same transformation on a second hub of the same scope: a task actioned on both counts once.
    const n1copy = await network(alice, 'acme-c1-p1', 'copy', [{ name: 'ta', protocol: 'proto-a' }]);
    const paused = await network(alice, 'acme-c1-p1', 'paused', [{ name: 'tp', protocol: 'proto-a' }]);
    const elsewhere = await network(bob, 'acme-c2-p1', 'elsewhere', [{ name: 'te', protocol: 'proto-a' }]);

    const [a1, a2, a3, unactioned] = await tasks(alice, n1.transformation('ta'), 4);
    const [child] = await tasks(alice, n1.transformation('ta'), 1, a1);
    await action(alice, n1.key, [a1!, a2!, a3!, child!]);
    await action(alice, n1copy.key, [a3!]);
    await action(alice, n1.key, await tasks(alice, n1.transformation('tb'), 2));
    await action(alice, paused.key, await tasks(alice, paused.transformation('tp'), 1));
    await alice.request('mutation ($n: ID!) { setNetworkWeight(networkKey: $n, weight: 0) { weight } }', { n: paused.key });
    await action(bob, elsewhere.key, await tasks(bob, elsewhere.transformation('te'), 2));
    expect(unactioned).toBeDefined();

    expect(await counts(hpc)).toEqual([
      { protocol: 'proto-a', scope: 'acme-c1-p1', count: 3 },
      { protocol: 'proto-b', scope: 'acme-c1-p1', count: 2 },
    ]);
    expect(await counts(wide)).toEqual([
      { protocol: 'proto-a', scope: 'acme-c1-p1', count: 3 },
      { protocol: 'proto-a', scope: 'acme-c2-p1', count: 2 },
      { protocol: 'proto-b', scope: 'acme-c1-p1', count: 2 },
    ]);
    expect(await counts(wide, ['proto-b'])).toEqual([{ protocol: 'proto-b', scope: 'acme-c1-p1', count: 2 }]);
    expect(await counts(wide, null, 'acme-c2-*')).toEqual([{ protocol: 'proto-a', scope: 'acme-c2-p1', count: 2 }]);
    expect(await counts(hpc, null, 'acme-c2-*')).toEqual([]);

    // The claim agrees: hpc gets exactly the five counted, and then nothing is claimable for it.
    const { registerComputeService: service } = await hpc.request<{ registerComputeService: { id: string } }>(
      'mutation { registerComputeService(name: "counter") { id } }',
    );
    const { claimTasks } = await hpc.request<{ claimTasks: Array<{ task: { id: string } }> }>(
      'mutation ($s: ID!) { claimTasks(computeServiceId: $s, count: 100, protocols: ["proto-a", "proto-b"]) { task { id } } }',
      { s: service.id },
    );
    expect(claimTasks).toHaveLength(5);
    expect(claimTasks.map((c) => c.task.id)).toEqual(expect.arrayContaining([a1, a2, a3]));
    expect(await counts(hpc)).toEqual([]);
    expect(await counts(wide)).toEqual([{ protocol: 'proto-a', scope: 'acme-c2-p1', count: 2 }]);
  });

  test('refused to users and for malformed protocols or scopes', async () => {
    expect(await codeOf(counts(alice))).toBe('FORBIDDEN');
    expect(await codeOf(server.admin.request(countsQuery, {}))).toBe('FORBIDDEN');
    expect(await codeOf(counts(hpc, ['not a protocol']))).toBe('BAD_USER_INPUT');
    expect(await codeOf(counts(hpc, null, 'acme-c1'))).toBe('BAD_USER_INPUT');
    expect(
      await codeOf(
        counts(
          hpc,
          Array.from({ length: 101 }, (_, i) => `p${i}`),
        ),
      ),
    ).toBe('BAD_USER_INPUT');
  });
});
