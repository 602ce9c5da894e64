import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/client/ApiClient.js';
import { onJsonLogLines } from '../support/jsonLogLines.js';
import { exitOf, stopChild } from '../support/leftovers.js';
import type { ChildExit } from '../support/leftovers.js';
import { spawnNode } from '../support/nodeProcess.js';
import type { NodeChild } from '../support/nodeProcess.js';
import { cliPath, startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';

export const scope = 'lab-hpc-run1';

/**
 * Three units run by the `command` protocol. `wait` records where it runs (its folder names the task,
 * $SLURM_JOB_ID the job) in $GATE_DIR, then waits for $GATE_DIR/open: a test holds tasks mid-DAG, with
 * `first` done, for as long as it needs, and lets them go when it likes.
 */
const units = [
  { key: 'first', name: 'First', dependencies: [], command: ['/bin/sh', '-c', 'echo first'] },
  {
    key: 'wait',
    name: 'Wait for the gate',
    dependencies: ['first'],
    command: [
      '/bin/sh',
      '-c',
      // Written whole, then renamed: a reader never finds the marker empty.
      'pwd > "$GATE_DIR/.marker-$$" && mv "$GATE_DIR/.marker-$$" "$GATE_DIR/started-${SLURM_JOB_ID:-local}-$$"; while [ ! -e "$GATE_DIR/open" ]; do sleep 0.05; done',
    ],
  },
  { key: 'last', name: 'Last', dependencies: ['wait'], command: ['/bin/sh', '-c', 'echo last'] },
];

export interface ManagerView {
  id: string;
  name: string;
  status: string;
  jobs: Array<{ jobId: string; state: string; reason: string | null }>;
}

export interface ManagerProcess {
  child: NodeChild;
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<ChildExit>;
}

/** A server process, a user and a compute identity, and a network whose one transformation runs `units`. */
export class ManagerRig {
  server!: ServerProcess;
  cwd!: string;
  gateDir!: string;
  user!: ApiClient;
  compute!: ApiClient;
  computeToken!: string;
  networkKey!: string;
  transformationKey!: string;
  managers: ManagerProcess[] = [];

  async start(): Promise<void> {
    this.cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-manager-'));
    this.gateDir = join(this.cwd, 'gate');
    await import('node:fs/promises').then((fs) => fs.mkdir(this.gateDir));
    this.server = await startServerProcess(this.cwd);
    const admin = new ApiClient(this.server.url, (await readFile(join(this.cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim());
    const create = async (kind: string, name: string, scopes: string[]) =>
      (
        await admin.request<{ createIdentity: { token: string } }>(
          'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
          {
            i: { kind, name, scopes },
          },
        )
      ).createIdentity.token;
    this.user = new ApiClient(this.server.url, await create('USER', 'scientist', [scope]));
    this.computeToken = await create('COMPUTE', 'cluster', ['lab-*-*']);
    this.compute = new ApiClient(this.server.url, this.computeToken);
    const { createNetwork } = await this.user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($s: String!, $i: NetworkInput!) { createNetwork(scope: $s, input: $i) { network { scopedKey transformations { scopedKey } } } }',
      {
        s: scope,
        i: {
          name: 'gated',
          chemicalSystems: [
            { name: 'a', components: { x: 1 } },
            { name: 'b', components: { x: 2 } },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'command', settings: { units } }],
        },
      },
    );
    this.networkKey = createNetwork.network.scopedKey;
    this.transformationKey = createNetwork.network.transformations[0]!.scopedKey;
  }

  async stop(): Promise<void> {
    for (const manager of this.managers) await stopChild(manager.child, { graceMs: 60_000 });
    await this.server?.stop();
    if (this.cwd !== undefined) await rm(this.cwd, { recursive: true, force: true });
  }

  async createTasks(count: number): Promise<string[]> {
    const { createTasks } = await this.user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $n: Int) { createTasks(transformationKey: $t, count: $n) { id } }',
      { t: this.transformationKey, n: count },
    );
    const ids = createTasks.map((t) => t.id);
    await this.user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: this.networkKey, ids });
    return ids;
  }

  /** `dagkeeper manager` as a process; its token comes through the environment, as a login node's would. */
  startManager(args: string[]): ManagerProcess {
    const child = spawnNode([cliPath, 'manager', '--url', this.server.url, '--protocols', 'command', ...args], {
      label: 'dagkeeper manager process',
      cwd: this.cwd,
      env: { ...process.env, DAGKEEPER_TOKEN: this.computeToken, GATE_DIR: this.gateDir, LOG_LEVEL: 'info' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const manager: ManagerProcess = { child, logs: [], stderr: () => stderr, exited: exitOf(child) };
    onJsonLogLines(child.stdout, (line) => manager.logs.push(line));
    this.managers.push(manager);
    return manager;
  }

  async statusCounts(): Promise<{ waiting: number; running: number; complete: number; error: number }> {
    const { network } = await this.user.request<{
      network: { statusCounts: { waiting: number; running: number; complete: number; error: number } };
    }>('query ($n: ID!) { network(scopedKey: $n) { statusCounts { waiting running complete error } } }', { n: this.networkKey });
    return network.statusCounts;
  }

  async managerViews(): Promise<ManagerView[]> {
    const { computeManagers } = await this.compute.request<{ computeManagers: ManagerView[] }>(
      '{ computeManagers(includeDeregistered: true) { id name status jobs { jobId state reason } } }',
    );
    return computeManagers;
  }

  async serviceNames(): Promise<string[]> {
    const { computeServices } = await this.compute.request<{ computeServices: Array<{ name: string }> }>(
      '{ computeServices(includeGone: true) { name } }',
    );
    return computeServices.map((s) => s.name);
  }

  async unitResults(taskId: string): Promise<Array<{ unitKey: string; ok: boolean; attempt: number }>> {
    const { task } = await this.user.request<{ task: { unitResults: Array<{ unitKey: string; ok: boolean; attempt: number }> } }>(
      'query ($id: ID!) { task(id: $id) { unitResults { unitKey ok attempt } } }',
      { id: taskId },
    );
    return task.unitResults;
  }
}
