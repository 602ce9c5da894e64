import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ApiClient } from '../../src/client/ApiClient.js';
import { subscribeToTaskEvents } from '../support/eventStream.js';
import type { EventStream } from '../support/eventStream.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';
import { startS3rver } from '../support/s3rver.js';
import type { S3TestServer } from '../support/s3rver.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { waitFor } from '../support/waitFor.js';
import { startWorkerProcess } from '../support/workerProcess.js';

const writeNumber = `
import json, os
with open(os.path.join(os.environ['DAGKEEPER_OUTPUT_DIR'], 'number.txt'), 'w') as f:
    f.write('21')
json.dump({'value': 21}, open(os.environ['DAGKEEPER_OUTPUTS'], 'w'))
`;
const double = `
import json, os
dep = json.load(open(os.environ['DAGKEEPER_INPUTS']))['dependencies']['write']
json.dump({'value': 2 * int(open(dep['files']['number.txt']).read())}, open(os.environ['DAGKEEPER_OUTPUTS'], 'w'))
`;

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

describe('two server replicas on one PostgreSQL behave as one service', () => {
  let cwd: string;
  let database: TestDatabase;
  let s3: S3TestServer;
  let replicaA: ServerProcess;
  let replicaB: ServerProcess;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-replicas-'));
    database = await createTestDatabase();
    s3 = await startS3rver();
    const env = (name: string) => ({
      DATABASE_URL: database.url,
      DAGKEEPER_DATA: join(cwd, name),
      DAGKEEPER_SIGNING_SECRET: 'replicas-share-this-secret',
      S3_ENDPOINT: `http://${s3.endPoint}:${s3.port}`,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: s3.bucket,
      // A slow poll, so that delivery within the test's time can only come from LISTEN/NOTIFY.
      DAGKEEPER_EVENT_POLL_MS: '60000',
    });
    replicaA = await startServerProcess(cwd, env('a'));
    replicaB = await startServerProcess(cwd, env('b'));
    // s3rver and two server starts: a minute is not always enough on a loaded machine.
  }, 180_000);
  afterAll(async () => {
    await replicaA?.stop();
    await replicaB?.stop();
    await s3?.close();
    await database?.drop();
    await rm(cwd, { recursive: true, force: true });
  });

  // A worker process runs three tasks of two python units each: a loaded machine takes minutes.
  test('events caused through replica B reach a subscriber on replica A once each, in order per task', async () => {
    const admin = new ApiClient(replicaA.url, (await readFile(join(cwd, 'a', 'admin-token'), 'utf8')).trim());
    const create = async (kind: string, name: string) =>
      (
        await admin.request<{ createIdentity: { token: string } }>(
          'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
          { i: { kind, name, scopes: ['lab-c1-p1'] } },
        )
      ).createIdentity.token;
    const userToken = await create('USER', 'scientist');
    const computeToken = await create('COMPUTE', 'cluster');

    // Live only (no `since`): wait until replica A counts the subscription before causing anything.
    const stream: EventStream = await subscribeToTaskEvents(replicaA.url, userToken, { filter: { scope: 'lab-c1-p1' } });
    await waitFor(
      'replica A to register the subscription',
      async () => (await metricValue(replicaA.url, 'dagkeeper_task_event_subscribers')) === 1,
      30_000,
      50,
    );

    const userOnB = new ApiClient(replicaB.url, userToken);
    const { createNetwork } = await userOnB.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($input: NetworkInput!) { createNetwork(scope: "lab-c1-p1", input: $input) { network { scopedKey transformations { scopedKey } } } }',
      {
        input: {
          name: 'doubling',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [
            {
              name: 'double',
              stateA: 'a',
              stateB: 'b',
              protocol: 'command',
              settings: {
                units: [
                  { key: 'write', name: 'write', dependencies: [], command: ['python3', '-c', writeNumber] },
                  { key: 'double', name: 'double', dependencies: ['write'], command: ['python3', '-c', double] },
                ],
              },
            },
          ],
        },
      },
    );
    const { createTasks } = await userOnB.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t, count: 3) { id } }',
      { t: createNetwork.network.transformations[0]!.scopedKey },
    );
    const taskIds = createTasks.map((t) => t.id);
    await userOnB.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: createNetwork.network.scopedKey,
      ids: taskIds,
    });

    const worker = startWorkerProcess(replicaB.url, computeToken, ['--exit-when-idle', '--name', 'on-b']);
    expect(await worker.exited).toBe(0);
    const isComplete = (taskId: string) => (e: { taskId: string; to?: string }) => e.taskId === taskId && e.to === 'COMPLETE';
    const received = await stream.waitFor((events) => taskIds.every((id) => events.some(isComplete(id))), 30_000);
    await stream.close();

    // What was committed, straight from the outbox: the subscriber got exactly this, in this order.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ id: string; taskId: string; kind: string }>(
      'SELECT id::text, "taskId"::text AS "taskId", kind FROM "TaskEvent" e WHERE "taskId" = ANY($1::uuid[]) ORDER BY e.id',
      [taskIds],
    );
    await client.end();
    expect(received.map((e) => e.cursor)).toEqual(rows.map((r) => r.id));
    expect(received.map((e) => e.__typename)).toEqual(
      rows.map((r) => (r.kind === 'ProtocolDagResultRecorded' ? 'ProtocolDAGResultRecorded' : r.kind)),
    );

    for (const taskId of taskIds) {
      const ofTask = received
        .filter((e) => e.taskId === taskId)
        .map((e) => {
          if (e.__typename === 'TaskStatusChanged') return `${e.from ?? '-'}→${e.to}`;
          if (e.__typename === 'UnitResultRecorded') return `unit ${e.unitKey}`;
          if (e.__typename === 'ResultFileAvailable') return `file ${e.file?.path}`;
          return e.__typename;
        });
      expect(ofTask).toEqual([
        '-→WAITING',
        'WAITING→RUNNING',
        'file number.txt',
        'unit write',
        'unit double',
        'ProtocolDAGResultRecorded',
        'RUNNING→COMPLETE',
      ]);
    }
  }, 180_000);
});
