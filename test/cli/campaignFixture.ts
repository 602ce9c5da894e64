import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiClient } from '../../src/client/ApiClient.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { createIdentity } from '../support/testApp.js';
import { startWorkerProcess } from '../support/workerProcess.js';

/**
 * A small campaign run by a real worker: harmonic wells k = 1, 2, 4 in a cycle (1→2 twice and once
 * extended, 2→4, 1→4), a `command` transformation to a fourth chemical system whose unit fails after
 * printing (so that system has no estimate: the network is disconnected), and a task never actioned.
 */
export interface Campaign {
  scope: string;
  user: ApiClient;
  userToken: string;
  computeToken: string;
  networkKey: string;
  transformations: Record<'k1k2' | 'k2k4' | 'k1k4' | 'broken', string>;
  tasks: Record<'first' | 'second' | 'extension' | 'k2k4' | 'k1k4' | 'broken' | 'idle', string>;
}

const harmonic = (k0: number, k1: number) => ({ k0, k1, kT: 1, windows: 4, samplesPerWindow: 2000, sampleInterval: 5 });
const failing =
  "import sys\nprint('preparing the solo system')\nsys.stderr.write('Traceback (most recent call last):\\nValueError: no solo today\\n')\nsys.exit(3)\n";

export const campaignNetwork = {
  name: 'wells and a solo',
  chemicalSystems: [
    { name: 'well-k1', components: { k: 1 } },
    { name: 'well-k2', components: { k: 2 } },
    { name: 'well-k4', components: { k: 4 } },
    { name: 'solo', components: { k: 0 } },
  ],
  transformations: [
    { name: 'k1->k2', stateA: 'well-k1', stateB: 'well-k2', protocol: 'harmonic-oscillator', settings: harmonic(1, 2) },
    { name: 'k2->k4', stateA: 'well-k2', stateB: 'well-k4', protocol: 'harmonic-oscillator', settings: harmonic(2, 4) },
    { name: 'k1->k4', stateA: 'well-k1', stateB: 'well-k4', protocol: 'harmonic-oscillator', settings: harmonic(1, 4) },
    {
      name: 'k4->solo',
      stateA: 'well-k4',
      stateB: 'solo',
      protocol: 'command',
      settings: { units: [{ key: 'prepare', name: 'Prepare', dependencies: [], command: ['python3', '-c', failing] }] },
    },
  ],
};

export async function runCampaign(server: ServerProcess, cwd: string, scope: string): Promise<Campaign> {
  const admin = new ApiClient(server.url, (await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim());
  const userToken = (await createIdentity(admin, { kind: 'USER', name: 'alice', scopes: [scope] })).token;
  const computeToken = (await createIdentity(admin, { kind: 'COMPUTE', name: 'cluster', scopes: [scope] })).token;
  const user = new ApiClient(server.url, userToken);
  const { createNetwork } = await user.request<{
    createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string; name: string }> } };
  }>(
    'mutation ($s: String!, $i: NetworkInput!) { createNetwork(scope: $s, input: $i) { network { scopedKey transformations { scopedKey name } } } }',
    {
      s: scope,
      i: campaignNetwork,
    },
  );
  const networkKey = createNetwork.network.scopedKey;
  const keyOf = (name: string) => createNetwork.network.transformations.find((t) => t.name === name)?.scopedKey ?? '';
  const transformations = { k1k2: keyOf('k1->k2'), k2k4: keyOf('k2->k4'), k1k4: keyOf('k1->k4'), broken: keyOf('k4->solo') };
  const create = async (transformationKey: string, count = 1, extendsId?: string) =>
    (
      await user.request<{ createTasks: Array<{ id: string }> }>(
        'mutation ($t: ID!, $n: Int, $e: ID) { createTasks(transformationKey: $t, count: $n, extends: $e) { id } }',
        { t: transformationKey, n: count, e: extendsId ?? null },
      )
    ).createTasks.map((t) => t.id);
  const action = (ids: string[]) =>
    user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: networkKey, ids });

  const [first = '', second = ''] = await create(transformations.k1k2, 2);
  const [extension = ''] = await create(transformations.k1k2, 1, first);
  const [k2k4 = '', idle = ''] = await create(transformations.k2k4, 2);
  const [k1k4 = ''] = await create(transformations.k1k4);
  const [broken = ''] = await create(transformations.broken);
  await action([first, second, extension, k2k4, k1k4, broken]);

  const worker = startWorkerProcess(server.url, computeToken, ['--exit-when-idle']);
  const exitCode = await worker.exited;
  if (exitCode !== 0) throw new Error(`the worker exited with ${exitCode}`);
  return {
    scope,
    user,
    userToken,
    computeToken,
    networkKey,
    transformations,
    tasks: { first, second, extension, k2k4, k1k4, broken, idle },
  };
}
