import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';

interface Answer<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
  ms: number;
}

/** How long a heartbeat may take while another service's task is being finished: a busy 2-core machine answers one in tens of ms. */
const heartbeatBoundMs = 2_000;

describe('a catastrophic restart pattern does not stop the server (real server process, PostgreSQL)', () => {
  let cwd: string;
  let database: TestDatabase;
  let server: ServerProcess;

  /** One GraphQL request with a deadline of its own, so a server that stopped answering fails the test instead of hanging it. */
  async function gql<T>(token: string, query: string, variables: Record<string, unknown>, timeoutMs: number): Promise<Answer<T>> {
    const started = performance.now();
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await response.json()) as Omit<Answer<T>, 'ms'>;
      return { ...body, ms: performance.now() - started };
    } catch (error) {
      return { errors: [{ message: (error as Error).message, extensions: { code: 'NO_ANSWER' } }], ms: performance.now() - started };
    }
  }

  async function data<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const answer = await gql<T>(token, query, variables, 60_000);
    if (answer.errors !== undefined || answer.data === undefined) throw new Error(`${query}: ${JSON.stringify(answer.errors)}`);
    return answer.data;
  }

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-re2-'));
    database = await createTestDatabase();
    server = await startServerProcess(cwd, { DATABASE_URL: database.url, DAGKEEPER_MAX_REQUEST_BYTES: String(16 * 1024 * 1024) });
  });
  afterAll(async () => {
    // SIGKILL: a server whose event loop is stuck would never run its SIGTERM handler.
    await server?.stop('SIGKILL');
    await database?.drop();
    await rm(cwd, { recursive: true, force: true });
  });

  test('(a+)+$ against a 4 MiB traceback: finishTask ends in ERROR, and another service’s heartbeats meanwhile are answered within 2 s', async () => {
    const admin = (await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim();
    const identity = async (kind: string, name: string) =>
      (
        await data<{ createIdentity: { token: string } }>(
          admin,
          'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
          { i: { kind, name, scopes: ['lab-re2-p1'] } },
        )
      ).createIdentity.token;
    const user = await identity('USER', 'scientist');
    const compute = await identity('COMPUTE', 'cluster');

    const { createNetwork } = await data<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      user,
      'mutation ($input: NetworkInput!) { createNetwork(scope: "lab-re2-p1", input: $input) { network { scopedKey transformations { scopedKey } } } }',
      {
        input: {
          name: 'regex',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'catastrophe', settings: {} }],
        },
      },
    );
    const networkKey = createNetwork.network.scopedKey;
    const { createTasks } = await data<{ createTasks: Array<{ id: string }> }>(
      user,
      'mutation ($t: ID!, $dag: JSON) { createTasks(transformationKey: $t, dag: $dag) { id } }',
      { t: createNetwork.network.transformations[0]!.scopedKey, dag: { units: [{ key: 'only', name: 'Only', dependencies: [] }] } },
    );
    const taskId = createTasks[0]!.id;
    await data(user, 'mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: networkKey, ids: [taskId] });
    await data(user, 'mutation ($n: ID!) { addRestartPattern(networkKey: $n, pattern: "(a+)+$", maxRetries: 3) { id } }', {
      n: networkKey,
    });

    const register = async (name: string) =>
      (
        await data<{ registerComputeService: { id: string } }>(
          compute,
          'mutation ($n: String!) { registerComputeService(name: $n) { id } }',
          { n: name },
        )
      ).registerComputeService.id;
    const failing = await register('failing');
    const bystander = await register('bystander');
    const { claimTasks } = await data<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      compute,
      'mutation ($s: ID!) { claimTasks(computeServiceId: $s, protocols: ["catastrophe"]) { token task { id } } }',
      { s: failing },
    );
    expect(claimTasks.map((c) => c.task.id)).toEqual([taskId]);
    const claimToken = claimTasks[0]!.token;
    const now = new Date().toISOString();
    await data(compute, 'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: claimToken,
      r: {
        unitKey: 'only',
        ok: false,
        exception: 'RuntimeError: ran out of b',
        traceback: `${'a'.repeat(4 * 1024 * 1024 - 1)}!`,
        startedAt: now,
        endedAt: now,
      },
    });

    const heartbeat = () =>
      gql<{ heartbeat: { id: string } }>(
        compute,
        'mutation ($s: ID!) { heartbeat(computeServiceId: $s) { id } }',
        { s: bystander },
        5 * heartbeatBoundMs,
      );
    const outcome = (h: Answer<{ heartbeat: { id: string } }>) =>
      h.errors?.[0]?.extensions?.code ?? (h.data?.heartbeat.id === bystander ? 'ok' : 'wrong answer');
    let finished = false;
    const finishing = gql<{ finishTask: { restartedBy: string | null; task: { status: string } } }>(
      compute,
      'mutation ($c: String!) { finishTask(claimToken: $c) { restartedBy task { status } } }',
      { c: claimToken },
      50_000,
    ).finally(() => {
      finished = true;
    });
    // Heartbeats one after another for as long as the finish runs (or until one goes unanswered).
    const duringFinish: Array<Answer<{ heartbeat: { id: string } }>> = [];
    while (!finished && duringFinish.every((h) => outcome(h) === 'ok')) duringFinish.push(await heartbeat());

    expect(duringFinish.length).toBeGreaterThan(0);
    expect(duringFinish.map(outcome)).toEqual(duringFinish.map(() => 'ok'));
    expect(Math.max(...duringFinish.map((h) => h.ms))).toBeLessThan(heartbeatBoundMs);
    const finish = await finishing;
    expect(finish.errors).toBeUndefined();
    expect(finish.data?.finishTask).toEqual({ restartedBy: null, task: { status: 'ERROR' } });
  });
});
