import type { ApiClient } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';
import { actionTasks, createNetwork, createTasks, networkInput } from './networkSetup.js';

type State = 'ACTIVE' | 'INACTIVE' | 'DELETED';

const setState = 'mutation ($n: [ID!]!, $s: NetworkState!) { setNetworkState(networkKeys: $n, state: $s) { scopedKey state } }';
const countsQuery = '{ claimableTaskCounts { protocol scope count } }';

describe.each<StateKind>(['postgres', 'pglite'])('network lifecycle: ACTIVE, INACTIVE, DELETED, on %s', (kind) => {
  let server: TestApp;
  let alice: ApiClient;
  let mallory: ApiClient;
  let hpc: ApiClient;

  beforeAll(async () => {
    server = await startTestApp(kind);
    const identity = async (k: 'USER' | 'COMPUTE', name: string, scopes: string[]) =>
      server.client((await createIdentity(server.admin, { kind: k, name, scopes })).token);
    alice = await identity('USER', 'alice', ['acme-c1-p1']);
    mallory = await identity('USER', 'mallory', ['evil-c1-p1']);
    hpc = await identity('COMPUTE', 'hpc', ['acme-*-*']);
  });
  afterAll(async () => {
    await server?.close();
  });

  const set = async (as: ApiClient, keys: string[], state: State) =>
    (await as.request<{ setNetworkState: Array<{ scopedKey: string; state: State }> }>(setState, { n: keys, s: state })).setNetworkState;
  const listed = async (state?: State[]) =>
    (
      await alice.request<{ networks: Array<{ scopedKey: string; state: State }> }>(
        'query ($st: [NetworkState!]) { networks(scope: "acme-c1-p1", state: $st) { scopedKey state } }',
        state === undefined ? {} : { st: state },
      )
    ).networks.map((n) => n.scopedKey);
  const counts = async () => (await hpc.request<{ claimableTaskCounts: Array<{ count: number }> }>(countsQuery)).claimableTaskCounts;
  const claimAll = async (): Promise<string[]> => {
    const { registerComputeService: service } = await hpc.request<{ registerComputeService: { id: string } }>(
      'mutation { registerComputeService(name: "lifecycle") { id } }',
    );
    const { claimTasks } = await hpc.request<{ claimTasks: Array<{ task: { id: string } }> }>(
      'mutation ($s: ID!) { claimTasks(computeServiceId: $s, count: 100) { task { id } } }',
      { s: service.id },
    );
    return claimTasks.map((c) => c.task.id).sort();
  };
  const task = async (id: string) =>
    (
      await alice.request<{ task: { status: string; actionedOn: string[] } }>('query ($id: ID!) { task(id: $id) { status actionedOn } }', {
        id,
      })
    ).task;

  test('an INACTIVE hub is neither claimed from nor counted, and listings show ACTIVE networks unless asked', async () => {
    const open = await createNetwork(alice, 'acme-c1-p1', 'open', [{ name: 'shared' }]);
    const paused = await createNetwork(alice, 'acme-c1-p1', 'paused', [{ name: 'shared' }, { name: 'own', stateB: 'c' }]);
    expect(paused.transformation('shared')).toBe(open.transformation('shared'));
    const [onBoth] = await createTasks(alice, open.transformation('shared'), 1);
    const [onlyPaused] = await createTasks(alice, paused.transformation('own'), 1);
    await actionTasks(alice, open.key, [onBoth!]);
    await actionTasks(alice, paused.key, [onBoth!, onlyPaused!]);

    expect(await set(alice, [paused.key], 'INACTIVE')).toEqual([{ scopedKey: paused.key, state: 'INACTIVE' }]);
    expect(await listed()).toEqual([open.key]);
    expect(await listed(['INACTIVE'])).toEqual([paused.key]);
    expect(await listed(['ACTIVE', 'INACTIVE', 'DELETED'])).toEqual([open.key, paused.key]);
    // The inactive hub keeps its tasks; only the task also on an open hub is claimable, and counted.
    expect((await task(onlyPaused!)).actionedOn).toEqual([paused.key]);
    expect(await counts()).toEqual([{ protocol: 'proto-a', scope: 'acme-c1-p1', count: 1 }]);
    expect(await claimAll()).toEqual([onBoth]);
    expect(await counts()).toEqual([]);

    await set(alice, [paused.key], 'ACTIVE');
    expect(await counts()).toEqual([{ protocol: 'proto-a', scope: 'acme-c1-p1', count: 1 }]);
    expect(await claimAll()).toEqual([onlyPaused]);
  });

  test('DELETED keeps the network and what other networks share, empties its hub and refuses new actions', async () => {
    const kept = await createNetwork(alice, 'acme-c1-p1', 'kept', [{ name: 'common' }]);
    const doomed = await createNetwork(alice, 'acme-c1-p1', 'doomed', [{ name: 'common' }, { name: 'alone', stateA: 'b', stateB: 'c' }]);
    const [shared] = await createTasks(alice, kept.transformation('common'), 1);
    const [alone] = await createTasks(alice, doomed.transformation('alone'), 1);
    await actionTasks(alice, kept.key, [shared!]);
    await actionTasks(alice, doomed.key, [shared!, alone!]);

    await set(alice, [doomed.key], 'DELETED');

    expect(await task(shared!)).toEqual({ status: 'WAITING', actionedOn: [kept.key] });
    expect(await task(alone!)).toEqual({ status: 'WAITING', actionedOn: [] });
    expect(await counts()).toEqual([{ protocol: 'proto-a', scope: 'acme-c1-p1', count: 1 }]);
    expect(await listed()).not.toContain(doomed.key);
    expect(await listed(['DELETED'])).toEqual([doomed.key]);
    const { network, transformation } = await alice.request<{
      network: { state: State; transformations: Array<{ name: string }> };
      transformation: { name: string; networks: Array<{ scopedKey: string }>; all: Array<{ scopedKey: string }> };
    }>(
      `query ($n: ID!, $t: ID!) {
        network(scopedKey: $n) { state transformations { name } }
        transformation(scopedKey: $t) { name networks { scopedKey } all: networks(state: [ACTIVE, INACTIVE, DELETED]) { scopedKey } }
      }`,
      { n: doomed.key, t: kept.transformation('common') },
    );
    expect(network).toEqual({ state: 'DELETED', transformations: [{ name: 'alone' }, { name: 'common' }] });
    expect(transformation.networks).toEqual([{ scopedKey: kept.key }]);
    expect(transformation.all).toEqual([{ scopedKey: kept.key }, { scopedKey: doomed.key }]);

    expect(await codeOf(actionTasks(alice, doomed.key, [alone!]))).toBe('BAD_USER_INPUT');
    expect((await task(alone!)).actionedOn).toEqual([]);

    // Submitting the same network again finds it, as it is.
    const again = await alice.request<{ createNetwork: { created: boolean; network: { scopedKey: string; state: State } } }>(
      'mutation ($i: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $i) { created network { scopedKey state } } }',
      { i: networkInput('doomed', [{ name: 'common' }, { name: 'alone', stateA: 'b', stateB: 'c' }]) },
    );
    expect(again.createNetwork).toEqual({ created: false, network: { scopedKey: doomed.key, state: 'DELETED' } });

    // Brought back, its hub is empty until tasks are actioned again.
    await set(alice, [doomed.key], 'ACTIVE');
    expect((await task(alone!)).actionedOn).toEqual([]);
    expect(await actionTasks(alice, doomed.key, [alone!])).toEqual({ actionTasks: [alone] });
    await set(alice, [doomed.key, kept.key], 'INACTIVE');
  });

  test('only users of every network scope may set states, all or none, and bad input is refused by name', async () => {
    const mine = await createNetwork(alice, 'acme-c1-p1', 'mine', [{ name: 't' }]);
    const theirs = await createNetwork(mallory, 'evil-c1-p1', 'theirs', [{ name: 't' }]);
    const stateOf = async (as: ApiClient, key: string) =>
      (await as.request<{ network: { state: State } }>('query ($n: ID!) { network(scopedKey: $n) { state } }', { n: key })).network.state;

    expect(await codeOf(set(mallory, [mine.key], 'DELETED'))).toBe('FORBIDDEN');
    expect(await codeOf(set(alice, [mine.key, theirs.key], 'INACTIVE'))).toBe('FORBIDDEN');
    expect(await codeOf(hpc.request(setState, { n: [mine.key], s: 'INACTIVE' }))).toBe('FORBIDDEN');
    expect(await codeOf(set(alice, [mine.key, mine.key.replace(/-[0-9a-f]{32}-/, `-${'0'.repeat(32)}-`)], 'INACTIVE'))).toBe('NOT_FOUND');
    expect(await stateOf(alice, mine.key)).toBe('ACTIVE');
    expect(await stateOf(mallory, theirs.key)).toBe('ACTIVE');

    expect(await codeOf(alice.request(setState, { n: [mine.key], s: 'ARCHIVED' }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(set(alice, [], 'INACTIVE'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(set(alice, ['AlchemicalNetwork-nothex-acme-c1-p1'], 'INACTIVE'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(set(alice, [mine.transformation('t')], 'INACTIVE'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(alice.request('{ networks(state: []) { scopedKey } }'))).toBe('BAD_USER_INPUT');
    expect(await stateOf(alice, mine.key)).toBe('ACTIVE');

    // The same key twice is one network; the answer follows the order asked.
    expect(await set(alice, [mine.key, mine.key], 'INACTIVE')).toEqual([
      { scopedKey: mine.key, state: 'INACTIVE' },
      { scopedKey: mine.key, state: 'INACTIVE' },
    ]);
  });
});
