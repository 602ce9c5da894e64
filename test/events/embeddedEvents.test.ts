import { subscribeToTaskEvents } from '../support/eventStream.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

describe('taskEvents on the embedded store (PGlite)', () => {
  let server: TestApp;
  beforeAll(async () => {
    // A poll slower than the test: events can only arrive through PGlite's own notifications.
    server = await startTestApp('pglite', { DAGKEEPER_EVENT_POLL_MS: '60000' });
  });
  afterAll(async () => {
    await server.close();
  });

  test('a task created while subscribed arrives live, without waiting for the poll', async () => {
    const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['lab-c1-p1'] });
    const stream = await subscribeToTaskEvents(server.app.url, alice.token);
    try {
      for (let i = 0; server.app.services.eventHub.subscriberCount === 0; i += 1) {
        if (i > 100) throw new Error('the subscription was never registered');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const user = server.client(alice.token);
      const { createNetwork } = await user.request<{ createNetwork: { network: { transformations: Array<{ scopedKey: string }> } } }>(
        'mutation ($input: NetworkInput!) { createNetwork(scope: "lab-c1-p1", input: $input) { network { transformations { scopedKey } } } }',
        { input: {
          name: 'n', chemicalSystems: [{ name: 'a', components: {} }, { name: 'b', components: {} }],
          transformations: [{ name: 't', stateA: 'a', stateB: 'b', protocol: 'command', settings: { units: [{ key: 'u', name: 'u', command: ['true'] }] } }],
        } },
      );
      const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!) { createTasks(transformationKey: $t, count: 2) { id } }', { t: createNetwork.network.transformations[0]!.scopedKey });
      const events = await stream.waitFor((e) => e.length === 2, 10_000);
      expect(events.map((e) => [e.taskId, e.to])).toEqual(createTasks.map((t) => [t.id, 'WAITING']));
    } finally {
      await stream.close();
    }
  });
});
