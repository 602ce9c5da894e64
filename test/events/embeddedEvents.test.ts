import { subscribeToTaskEvents } from '../support/eventStream.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { waitFor } from '../support/waitFor.js';

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
      await waitFor('the subscription to be registered', () => server.app.services.eventHub.subscriberCount > 0);
      const user = server.client(alice.token);
      const { createNetwork } = await user.request<{ createNetwork: { network: { transformations: Array<{ scopedKey: string }> } } }>(
        'mutation ($input: NetworkInput!) { createNetwork(scope: "lab-c1-p1", input: $input) { network { transformations { scopedKey } } } }',
        {
          input: {
            name: 'n',
            chemicalSystems: [
              { name: 'a', components: {} },
              { name: 'b', components: {} },
            ],
            transformations: [
              {
                name: 't',
                stateA: 'a',
                stateB: 'b',
                protocol: 'command',
                settings: { units: [{ key: 'u', name: 'u', command: ['true'] }] },
              },
            ],
          },
        },
      );
      const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!) { createTasks(transformationKey: $t, count: 2) { id } }',
        { t: createNetwork.network.transformations[0]!.scopedKey },
      );
      // Well under the 60 s poll: only the notification can have brought them.
      const events = await stream.waitFor((e) => e.length === 2, 30_000);
      expect(events.map((e) => [e.taskId, e.to])).toEqual(createTasks.map((t) => [t.id, 'WAITING']));
    } finally {
      await stream.close();
    }
  });
});
