import type { ApiClient } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';

/**
 * `tasks` is a Relay connection over one order (task id, oldest first): forward with first/after and
 * backward with last/before, through the same cursors, with PageInfo telling both ways whether more
 * lies beyond. Checked over a known set: seven tasks of a network, among tasks the filter or the
 * caller's scopes leave out.
 */

interface Page {
  totalCount: number;
  edges: Array<{ cursor: string; node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const tasksPage = `query ($first: Int, $after: String, $last: Int, $before: String, $n: ID) {
  tasks(first: $first, after: $after, last: $last, before: $before, filter: { networkKey: $n }) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

const networkInput = (name: string) => ({
  name,
  chemicalSystems: [
    { name: 'a', components: {} },
    { name: 'b', components: {} },
  ],
  // Settings of its own, so that each network has a transformation (and so tasks) of its own.
  transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'demo', settings: { network: name } }],
});

async function networkWithTasks(
  client: ApiClient,
  scope: string,
  name: string,
  count: number,
): Promise<{ key: string; taskIds: string[] }> {
  const { createNetwork } = await client.request<{
    createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
  }>(
    'mutation ($s: String!, $input: NetworkInput!) { createNetwork(scope: $s, input: $input) { network { scopedKey transformations { scopedKey } } } }',
    { s: scope, input: networkInput(name) },
  );
  const { createTasks } = await client.request<{ createTasks: Array<{ id: string }> }>(
    'mutation ($t: ID!, $count: Int) { createTasks(transformationKey: $t, count: $count) { id } }',
    { t: createNetwork.network.transformations[0]!.scopedKey, count },
  );
  return { key: createNetwork.network.scopedKey, taskIds: createTasks.map((task) => task.id) };
}

describe.each<StateKind>(['postgres', 'pglite'])('paging through tasks forward and backward on %s', (state) => {
  let server: TestApp;
  let alice: ApiClient;
  let networkKey = '';
  /** The seven tasks of the network, in the connection's order (ids compare as their hex text does). */
  let ids: string[] = [];
  const page = async (variables: Record<string, unknown>) =>
    (await alice.request<{ tasks: Page }>(tasksPage, { n: networkKey, ...variables })).tasks;
  const idsOf = (p: Page) => p.edges.map((edge) => edge.node.id);

  beforeAll(async () => {
    server = await startTestApp(state);
    alice = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] })).token);
    const mallory = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'mallory', scopes: ['evil-c1-p1'] })).token);
    await networkWithTasks(alice, 'acme-c1-p1', 'before', 2);
    const network = await networkWithTasks(alice, 'acme-c1-p1', 'paged', 7);
    await networkWithTasks(mallory, 'evil-c1-p1', 'hidden', 3);
    await networkWithTasks(alice, 'acme-c1-p1', 'after', 2);
    networkKey = network.key;
    ids = [...network.taskIds].sort();
  });
  afterAll(async () => {
    await server?.close();
  });

  test('forward, three at a time: each page follows the last, and PageInfo says what lies on either side', async () => {
    const one = await page({ first: 3 });
    expect(idsOf(one)).toEqual(ids.slice(0, 3));
    expect(one.totalCount).toBe(7);
    expect(one.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: one.edges[0]!.cursor,
      endCursor: one.edges[2]!.cursor,
    });

    const two = await page({ first: 3, after: one.pageInfo.endCursor });
    expect(idsOf(two)).toEqual(ids.slice(3, 6));
    expect(two.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    const three = await page({ first: 3, after: two.pageInfo.endCursor });
    expect(idsOf(three)).toEqual(ids.slice(6));
    expect(three.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: three.edges[0]!.cursor,
      endCursor: three.edges[0]!.cursor,
    });
    expect(three.totalCount).toBe(7);
  });

  test('backward, three at a time from the end: the same tasks in the same order, pages walking towards the first', async () => {
    const one = await page({ last: 3 });
    expect(idsOf(one)).toEqual(ids.slice(4));
    expect(one.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: one.edges[0]!.cursor,
      endCursor: one.edges[2]!.cursor,
    });

    const two = await page({ last: 3, before: one.pageInfo.startCursor });
    expect(idsOf(two)).toEqual(ids.slice(1, 4));
    expect(two.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    const three = await page({ last: 3, before: two.pageInfo.startCursor });
    expect(idsOf(three)).toEqual(ids.slice(0, 1));
    expect(three.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: three.edges[0]!.cursor,
      endCursor: three.edges[0]!.cursor,
    });
  });

  test('the cursors of one direction serve the other: back from a page reached going forward, and between two cursors', async () => {
    const forward = await page({ first: 5 });
    const back = await page({ last: 2, before: forward.pageInfo.endCursor });
    expect(idsOf(back)).toEqual(ids.slice(2, 4));
    expect(back.edges.map((edge) => edge.cursor)).toEqual(forward.edges.slice(2, 4).map((edge) => edge.cursor));

    const between = await page({ first: 10, after: forward.edges[0]!.cursor, before: forward.edges[4]!.cursor });
    expect(idsOf(between)).toEqual(ids.slice(1, 4));
    expect(between.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const lastBetween = await page({ last: 2, after: forward.edges[0]!.cursor, before: forward.edges[4]!.cursor });
    expect(idsOf(lastBetween)).toEqual(ids.slice(2, 4));
    expect(lastBetween.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
  });

  test('an empty page has no cursors; asking for nothing tells only whether anything is there', async () => {
    const past = await page({ first: 3, after: (await page({ last: 1 })).pageInfo.endCursor });
    expect(past.edges).toEqual([]);
    expect(past.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
    const none = await page({ first: 0 });
    expect(none.edges).toEqual([]);
    expect(none.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const noneBackward = await page({ last: 0 });
    expect(noneBackward.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  test('without first or last, a page is the first 100', async () => {
    const all = await page({});
    expect(idsOf(all)).toEqual(ids);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  test('first and last together, or a size outside 0..1000, are refused as BAD_USER_INPUT', async () => {
    expect(await codeOf(page({ first: 2, last: 2 }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(page({ last: -1 }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(page({ last: 1001 }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(page({ first: 1001 }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(page({ last: 1, before: 'not-a-cursor' }))).toBe('BAD_USER_INPUT');
  });
});
