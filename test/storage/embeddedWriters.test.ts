import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * The embedded store (PGlite) is one connection, so its transactions run one at a time. Concurrent
 * writers must wait for their turn, however long the queue, rather than fail: Prisma gives up on a
 * transaction that cannot start within 2 s (P2028), which reached clients as INTERNAL_SERVER_ERROR.
 */
describe('concurrent writers on the embedded store (PGlite, through the server)', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp('pglite');
  });
  afterAll(async () => {
    await server?.close();
  });

  test('16 concurrent createTasks, each a long transaction, all succeed and store every task and DAG', async () => {
    const user = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] })).token);
    const { createNetwork } = await user.request<{ createNetwork: { network: { transformations: Array<{ scopedKey: string }> } } }>(
      'mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { network { transformations { scopedKey } } } }',
      {
        input: {
          name: 'queue',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'demo', settings: {} }],
        },
      },
    );
    const transformationKey = createNetwork.network.transformations[0]!.scopedKey;
    // 25 tasks × 200 units each: a transaction of a good fraction of a second, so sixteen queue for seconds.
    const dag = {
      units: Array.from({ length: 200 }, (_, i) => ({ key: `u${i}`, name: `unit ${i}`, dependencies: i === 0 ? [] : ['u0'] })),
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 16 }, () =>
        user.request<{ createTasks: Array<{ id: string }> }>(
          'mutation ($t: ID!, $dag: JSON) { createTasks(transformationKey: $t, count: 25, dag: $dag) { id } }',
          { t: transformationKey, dag },
        ),
      ),
    );
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as { code?: string }).code] : []));
    expect(refusals).toEqual([]);
    const db = server.app.state.db;
    expect(await db.task.count()).toBe(16 * 25);
    expect(await db.protocolDag.count()).toBe(16 * 25);
    expect(await db.protocolUnit.count()).toBe(16 * 25 * 200);
  });
});
