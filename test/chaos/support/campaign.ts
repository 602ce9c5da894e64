import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../../src/client/ApiClient.js';
import { startWorkerProcess } from '../../support/workerProcess.js';
import type { WorkerProcess } from '../../support/workerProcess.js';

const unitProgram = fileURLToPath(new URL('./unitProgram.mjs', import.meta.url));

/** One unit of a chaos DAG: how long it runs, how big a file it leaves, whether it keeps a core busy. */
export interface UnitPlan {
  key: string;
  dependencies?: string[];
  ms: number;
  fileBytes: number;
  busy?: boolean;
  /** Instead of writing its file, fail with this text as the last line of stderr. */
  failWith?: string;
}

/** A worker process with the name its compute service is registered under. */
export interface NamedWorker {
  name: string;
  process: WorkerProcess;
}

/**
 * A user and a compute identity on a running server, and one `command` transformation whose units are
 * `unitProgram.mjs` runs as planned. Tasks of it are created and actioned on demand.
 */
export interface Campaign {
  user: ApiClient;
  networkKey: string;
  computeToken: string;
  createTasks(count: number): Promise<string[]>;
  startWorker(name: string, args?: string[]): NamedWorker;
  /** Waits until every task is COMPLETE or ERROR (the server may be down meanwhile); returns the statuses. */
  waitUntilFinished(taskIds: string[], timeoutMs: number): Promise<Record<string, string>>;
}

export async function setUpCampaign(serverUrl: string, dataDir: string, name: string, units: UnitPlan[]): Promise<Campaign> {
  const admin = new ApiClient(serverUrl, (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim());
  const scope = `chaos-${name}-run`;
  const identity = async (kind: 'USER' | 'COMPUTE', who: string) =>
    (
      await admin.request<{ createIdentity: { token: string } }>(
        'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
        { i: { kind, name: `${name}-${who}`, scopes: [scope] } },
      )
    ).createIdentity.token;
  const user = new ApiClient(serverUrl, await identity('USER', 'scientist'));
  const computeToken = await identity('COMPUTE', 'cluster');
  const settings = {
    units: units.map((unit) => ({
      key: unit.key,
      name: unit.key,
      dependencies: unit.dependencies ?? [],
      command: [
        process.execPath,
        unitProgram,
        String(unit.ms),
        String(unit.fileBytes),
        ...(unit.busy === true ? ['busy'] : unit.failWith !== undefined ? ['fail', unit.failWith] : []),
      ],
    })),
  };
  const { createNetwork } = await user.request<{
    createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
  }>(
    'mutation ($s: String!, $input: NetworkInput!) { createNetwork(scope: $s, input: $input) { network { scopedKey transformations { scopedKey } } } }',
    {
      s: scope,
      input: {
        name,
        chemicalSystems: [
          { name: 'a', components: {} },
          { name: 'b', components: {} },
        ],
        transformations: [{ name, stateA: 'a', stateB: 'b', protocol: 'command', settings }],
      },
    },
  );
  const networkKey = createNetwork.network.scopedKey;
  const transformationKey = createNetwork.network.transformations[0]!.scopedKey;

  return {
    user,
    networkKey,
    computeToken,
    createTasks: async (count) => {
      const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!, $n: Int!) { createTasks(transformationKey: $t, count: $n) { id } }',
        { t: transformationKey, n: count },
      );
      const ids = createTasks.map((task) => task.id);
      await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: networkKey, ids });
      return ids;
    },
    startWorker: (workerName, args = []) => ({
      name: workerName,
      // Scratch beside the server's data, so that a SIGKILLed worker's files go when the test's folder does.
      process: startWorkerProcess(serverUrl, computeToken, [
        '--name',
        workerName,
        '--protocols',
        'command',
        '--poll-seconds',
        '0.5',
        '--scratch',
        join(dirname(dataDir), 'scratch', workerName),
        ...args,
      ]),
    }),
    waitUntilFinished: async (taskIds, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      let statuses: Record<string, string> = {};
      for (;;) {
        try {
          const { tasks } = await user.request<{ tasks: { edges: Array<{ node: { id: string; status: string } }> } }>(
            'query ($s: String!) { tasks(first: 100, filter: { scope: $s }) { edges { node { id status } } } }',
            { s: scope },
          );
          statuses = Object.fromEntries(tasks.edges.map((e) => [e.node.id, e.node.status]).filter(([id]) => taskIds.includes(id!)));
          if (taskIds.every((id) => statuses[id] === 'COMPLETE' || statuses[id] === 'ERROR')) return statuses;
        } catch {
          // The server may be restarting: ask again.
        }
        if (Date.now() > deadline) throw new Error(`tasks not finished within ${timeoutMs} ms: ${JSON.stringify(statuses)}`);
        await sleep(250);
      }
    },
  };
}
