import type { ApiClient } from '../../src/client/ApiClient.js';
import { ManualClock } from '../support/manualClock.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';
import { actionTasks, createNetwork, createTasks } from './networkSetup.js';

/**
 * A claimer reuses its check-in (the hubs with work) for a while. The clock here never moves, so the
 * second claim always reuses the first one's hubs: only the claim statement itself can see that the
 * hub closed in between.
 */
describe.each<StateKind>(['postgres', 'pglite'])('a hub closed after a claimer checked in, on %s', (kind) => {
  let server: TestApp;
  let alice: ApiClient;
  let hpc: ApiClient;

  beforeAll(async () => {
    server = await startTestApp(kind, {}, { clock: new ManualClock() });
    alice = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] })).token);
    hpc = server.client((await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-*-*'] })).token);
  });
  afterAll(async () => {
    await server?.close();
  });

  test.each(['INACTIVE', 'DELETED'])('is not claimed from once its network is %s', async (state) => {
    const network = await createNetwork(alice, 'acme-c1-p1', `closing ${state}`, [{ name: 't' }]);
    await actionTasks(alice, network.key, await createTasks(alice, network.transformation('t'), 2));
    const { registerComputeService: service } = await hpc.request<{ registerComputeService: { id: string } }>(
      'mutation ($n: String!) { registerComputeService(name: $n) { id } }',
      { n: `claimer-${state}` },
    );
    const claim = async () =>
      (
        await hpc.request<{ claimTasks: Array<{ task: { id: string } }> }>(
          'mutation ($s: ID!) { claimTasks(computeServiceId: $s, count: 1) { task { id } } }',
          { s: service.id },
        )
      ).claimTasks;

    expect(await claim()).toHaveLength(1);
    await alice.request('mutation ($n: [ID!]!, $s: NetworkState!) { setNetworkState(networkKeys: $n, state: $s) { state } }', {
      n: [network.key],
      s: state,
    });
    expect(await claim()).toEqual([]);
  });
});
