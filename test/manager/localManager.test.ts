import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../support/waitFor.js';
import { ManagerRig } from './managerRig.js';

const name = 'laptop';

/** Process ids whose command line mentions `text`, from /proc (this machine's processes). */
async function processesMentioning(text: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const command = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (command.includes(text)) found.push(Number(entry));
  }
  return found;
}

describe('dagkeeper manager --backend local: worker processes started while work waits (real server, manager and workers)', () => {
  const rig = new ManagerRig();

  beforeAll(async () => {
    await rig.start();
  });
  afterAll(async () => {
    await rig.stop();
  });

  test('runs every task with at most --max-jobs workers, shows them, scales to none when the work is done, and leaves nothing behind', async () => {
    const taskIds = await rig.createTasks(6);
    await writeFile(join(rig.gateDir, 'open'), '');
    const manager = rig.startManager([
      '--backend',
      'local',
      '--name',
      name,
      '--max-jobs',
      '2',
      '--tasks-per-job',
      '2',
      '--poll-seconds',
      '0.5',
    ]);

    let mostAtOnce = 0;
    await waitFor(
      'every task COMPLETE',
      async () => {
        const [view] = (await rig.managerViews()).filter((m) => m.name === name);
        mostAtOnce = Math.max(mostAtOnce, view?.jobs.filter((j) => j.state === 'PENDING' || j.state === 'RUNNING').length ?? 0);
        return (await rig.statusCounts()).complete === taskIds.length;
      },
      300_000,
      100,
    );
    expect(mostAtOnce).toBeGreaterThanOrEqual(1);
    expect(mostAtOnce).toBeLessThanOrEqual(2);

    // Scaled down: every worker ran its tasks or found none and exited; the manager saw each end.
    const ended = await waitFor(
      'every job ended',
      async () => {
        const [view] = (await rig.managerViews()).filter((m) => m.name === name);
        return view !== undefined && view.jobs.length > 0 && view.jobs.every((j) => j.state === 'COMPLETED') ? view : undefined;
      },
      120_000,
      100,
    );
    expect(ended.status).toBe('LIVE');
    // Each worker (--max-tasks 2) ran at most two of the six tasks: at least three jobs.
    expect(ended.jobs.length).toBeGreaterThanOrEqual(3);
    const jobIds = ended.jobs.map((j) => j.jobId).sort();
    expect((await rig.serviceNames()).filter((n) => n.startsWith(`${name}-`)).sort()).toEqual(
      jobIds.map((id) => `${name}-local-${id}`).sort(),
    );

    // Nothing claimable: rounds go by (each one a report, the manager's heartbeat) and nothing is submitted.
    const submitted = () => manager.logs.filter((l) => l.msg === 'submitted a worker job').length;
    const before = submitted();
    const roundsSeen = new Set<string>();
    await waitFor(
      'three more rounds of the manager',
      async () => {
        const { computeManagers } = await rig.compute.request<{ computeManagers: Array<{ name: string; lastHeartbeatAt: string }> }>(
          '{ computeManagers { name lastHeartbeatAt } }',
        );
        const beat = computeManagers.find((m) => m.name === name)?.lastHeartbeatAt;
        if (beat !== undefined) roundsSeen.add(beat);
        return roundsSeen.size >= 4;
      },
      60_000,
      100,
    );
    expect(submitted()).toBe(before);

    manager.child.kill('SIGTERM');
    expect((await manager.exited).code).toBe(0);
    expect((await rig.managerViews()).find((m) => m.name === name)?.status).toBe('DEREGISTERED');
    expect(await processesMentioning(`${name}-local-`)).toEqual([]);
  });

  test('a manager stopped while its workers run stops them: their tasks go back with the finished units kept', async () => {
    const [taskId] = await rig.createTasks(1);
    await import('node:fs/promises').then((fs) => fs.rm(join(rig.gateDir, 'open')));
    const manager = rig.startManager(['--backend', 'local', '--name', `${name}-2`, '--max-jobs', '1', '--poll-seconds', '0.5']);
    await waitFor(
      'the unit that waits for the gate to run',
      async () => (await rig.unitResults(taskId!)).some((r) => r.unitKey === 'first'),
      120_000,
      100,
    );

    manager.child.kill('SIGTERM');
    // The worker lets its running unit finish (SIGTERM reaches the worker, not its units): open the gate.
    await writeFile(join(rig.gateDir, 'open'), '');
    expect((await manager.exited).code).toBe(0);
    expect(await processesMentioning(`${name}-2-local-`)).toEqual([]);
    const results = await rig.unitResults(taskId!);
    expect(results.filter((r) => r.unitKey === 'first')).toEqual([expect.objectContaining({ ok: true })]);
    expect(results.every((r) => r.ok)).toBe(true);
    const counts = await rig.statusCounts();
    expect(counts.running).toBe(0);
    expect(counts.error).toBe(0);
  });
});
