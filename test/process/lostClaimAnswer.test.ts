import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from '../../src/client/ApiClient.js';
import { trackServer } from '../support/leftovers.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { startWorkerProcess } from '../support/workerProcess.js';
import type { WorkerProcess } from '../support/workerProcess.js';

/**
 * A proxy in front of the server that passes everything through, except that the first claim which
 * hands out a task reaches the server, is answered there, and its answer never reaches the worker
 * (the connection is cut), as when a network drops a response.
 */
async function startAnswerLosingProxy(target: string): Promise<{ url: string; lostClaims: () => number; close(): Promise<void> }> {
  let lost = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = request(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          const text = Buffer.concat(answerChunks);
          if (lost === 0 && body.includes('claimTasks') && text.includes('"token"')) {
            lost += 1;
            req.socket.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(text);
        });
      });
      upstream.on('error', () => req.socket.destroy());
      upstream.end(body);
    });
  });
  trackServer(server, 'the answer-losing proxy');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lostClaims: () => lost,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a claim whose answer is lost (real server and worker processes, a proxy that drops one answer)', () => {
  let cwd: string;
  let server: ServerProcess;
  let proxy: Awaited<ReturnType<typeof startAnswerLosingProxy>>;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-lost-claim-'));
    // A long expiry: only the worker itself can give the task back in the time the test waits.
    server = await startServerProcess(cwd, { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '600' });
    proxy = await startAnswerLosingProxy(server.url);
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await proxy?.close();
    await server?.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  test('the worker gives back what the lost claim took, claims again, and the task completes', async () => {
    const admin = new ApiClient(server.url, (await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim());
    const identity = async (kind: string, name: string) =>
      (
        await admin.request<{ createIdentity: { token: string } }>(
          'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
          { i: { kind, name, scopes: ['lab-c1-p1'] } },
        )
      ).createIdentity.token;
    const user = new ApiClient(server.url, await identity('USER', 'scientist'));
    const { createNetwork } = await user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($input: NetworkInput!) { createNetwork(scope: "lab-c1-p1", input: $input) { network { scopedKey transformations { scopedKey } } } }',
      {
        input: {
          name: 'lost-answer',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [
            {
              name: 'lost-answer',
              stateA: 'a',
              stateB: 'b',
              protocol: 'command',
              settings: {
                units: [
                  {
                    key: 'only',
                    name: 'only',
                    dependencies: [],
                    command: [process.execPath, '-e', "require('fs').writeFileSync(process.env.DAGKEEPER_OUTPUTS, '{}')"],
                  },
                ],
              },
            },
          ],
        },
      },
    );
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
      { t: createNetwork.network.transformations[0]!.scopedKey },
    );
    const taskId = createTasks[0]!.id;
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: createNetwork.network.scopedKey,
      ids: [taskId],
    });

    // No --exit-when-idle: a worker that never learns of its claim polls on, holding the task forever.
    worker = startWorkerProcess(proxy.url, await identity('COMPUTE', 'cluster'), [
      '--protocols',
      'command',
      '--poll-seconds',
      '0.5',
      '--max-tasks',
      '1',
    ]);
    const deadline = Date.now() + 60_000;
    let status = '';
    while (status !== 'COMPLETE') {
      status = (await user.request<{ task: { status: string } }>('query ($id: ID!) { task(id: $id) { status } }', { id: taskId })).task
        .status;
      if (Date.now() > deadline) throw new Error(`task still ${status} after 60 s; worker log: ${JSON.stringify(worker.logs().slice(-5))}`);
      await sleep(200);
    }
    expect(proxy.lostClaims()).toBe(1);
    expect(await worker.exited).toBe(0);
    const { task } = await user.request<{ task: { claims?: unknown } & { dagResults: Array<{ ok: boolean }> } }>(
      'query ($id: ID!) { task(id: $id) { dagResults { ok } } }',
      { id: taskId },
    );
    expect(task.dagResults).toEqual([{ ok: true }]);
  });
});
