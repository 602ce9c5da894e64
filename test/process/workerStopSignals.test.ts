import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManagerRig, scope } from '../manager/managerRig.js';
import { startWorkerProcess } from '../support/workerProcess.js';
import { waitFor } from '../support/waitFor.js';

/** Every descendant of `pid`, from /proc: what SLURM's proctrack/linuxproc signals when it stops a job. */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid > 0) parents.set(Number(entry), ppid);
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

describe('a stop signal sent to a worker and to its units at once, as a batch system stops a job (real processes)', () => {
  const rig = new ManagerRig();

  beforeAll(async () => {
    await rig.start();
  });
  afterAll(async () => {
    await rig.stop();
  });

  test('SIGTERM to the worker and every process under it: the interrupted unit sends no result, the task goes back with its finished unit', async () => {
    const [taskId] = await rig.createTasks(1);
    const worker = startWorkerProcess(rig.server.url, rig.computeToken, ['--exit-when-idle'], { GATE_DIR: rig.gateDir });
    let exited = false;
    void worker.exited.then(() => (exited = true));
    await waitFor(
      'the unit that waits for the gate to run',
      async () => {
        if (exited) throw new Error(`the worker exited early; last log lines: ${JSON.stringify(worker.logs().slice(-5))}`);
        return (await readdir(rig.gateDir)).some((f) => f.startsWith('started-'));
      },
      120_000,
      50,
    );

    const pid = worker.child.pid!;
    const group = [pid, ...(await descendants(pid))];
    expect(group.length).toBeGreaterThanOrEqual(3);
    for (const member of group) {
      try {
        process.kill(member, 'SIGTERM');
      } catch {
        // Already gone: a shell's `sleep` ends on its own every 50 ms.
      }
    }
    await worker.exited;

    const results = await rig.unitResults(taskId!);
    expect(results).toEqual([expect.objectContaining({ unitKey: 'first', ok: true })]);
    const counts = await rig.statusCounts();
    expect(counts).toMatchObject({ waiting: 1, running: 0, error: 0 });
    expect(worker.logs().some((l) => l.msg === 'unit interrupted by a stop signal; the task goes back with its finished units')).toBe(true);
  });

  test('SIGTERM to a unit alone, the worker not stopping: the unit failed, as any killed unit does', async () => {
    const { createNetwork } = await rig.user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($s: String!, $i: NetworkInput!) { createNetwork(scope: $s, input: $i) { network { scopedKey transformations { scopedKey } } } }',
      {
        s: scope,
        i: {
          name: 'self-terminating',
          chemicalSystems: [
            { name: 'a', components: { x: 1 } },
            { name: 'b', components: { x: 2 } },
          ],
          transformations: [
            {
              name: 'a->b',
              stateA: 'a',
              stateB: 'b',
              protocol: 'command',
              settings: { units: [{ key: 'doomed', name: 'Doomed', dependencies: [], command: ['/bin/sh', '-c', 'kill -TERM $$'] }] },
            },
          ],
        },
      },
    );
    const { createTasks } = await rig.user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
      { t: createNetwork.network.transformations[0]!.scopedKey },
    );
    const taskId = createTasks[0]!.id;
    await rig.user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: createNetwork.network.scopedKey,
      ids: [taskId],
    });
    await writeFile(join(rig.gateDir, 'open'), '');

    const worker = startWorkerProcess(rig.server.url, rig.computeToken, ['--exit-when-idle'], { GATE_DIR: rig.gateDir });
    expect(await worker.exited).toBe(0);
    const { task } = await rig.user.request<{
      task: { status: string; unitResults: Array<{ unitKey: string; ok: boolean; exception: string | null }> };
    }>('query ($id: ID!) { task(id: $id) { status unitResults { unitKey ok exception } } }', { id: taskId });
    expect(task.status).toBe('ERROR');
    expect(task.unitResults).toEqual([{ unitKey: 'doomed', ok: false, exception: expect.stringMatching(/killed by SIGTERM/) }]);
  });
});
