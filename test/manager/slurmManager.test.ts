import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../support/waitFor.js';
import { ManagerRig } from './managerRig.js';

/**
 * The end-to-end test against real SLURM: a single-node cluster on loopback
 * (../shared/tools/slurm-single-node: Debian's slurm-wlm, munge; root only). If it is not running, the
 * test brings it up (installing it the first time) and takes it down afterwards; if it cannot, the
 * test fails: CI runs it as root.
 */
const slurmTool = fileURLToPath(new URL('../../../shared/tools/slurm-single-node', import.meta.url));
const run = promisify(execFile);
const name = `e2e${process.pid}`;
const jobName = `dagkeeper-${name}`;
const taskCount = 30;

async function slurmAnswers(): Promise<boolean> {
  return run('scontrol', ['ping'], { timeout: 10_000 }).then(
    ({ stdout }) => /UP/.test(stdout),
    () => false,
  );
}

/** The jobs of this test's manager that SLURM holds, by state: `squeue -t all` shows ended ones for MinJobAge (300 s). */
async function squeueStates(): Promise<Map<string, string>> {
  const { stdout } = await run('squeue', ['-h', '-t', 'all', `--name=${jobName}`, '-o', '%i %T']);
  return new Map(
    stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/) as [string, string]),
  );
}

describe('dagkeeper manager --backend slurm: worker jobs on a real SLURM cluster', () => {
  const rig = new ManagerRig();
  let broughtUp = false;

  beforeAll(async () => {
    if (!(await slurmAnswers())) {
      // A failure here fails the test: the cluster is part of what it tests.
      await run(slurmTool, ['up'], { timeout: 600_000 });
      broughtUp = true;
    }
    await rig.start();
  }, 660_000);
  afterAll(async () => {
    await run('scancel', [`--name=${jobName}`]).catch(() => undefined);
    await rig.stop();
    if (broughtUp) await run(slurmTool, ['down'], { timeout: 120_000 });
  }, 300_000);

  test('30 tasks through at most 2 jobs; a job cancelled mid-task is replaced and its task resumes with only the units left', async () => {
    const taskIds = await rig.createTasks(taskCount);
    const manager = rig.startManager([
      '--backend',
      'slurm',
      '--name',
      name,
      '--max-jobs',
      '2',
      '--tasks-per-job',
      '20',
      '--time-per-job',
      '30',
      '--partition',
      'debug',
      '--poll-seconds',
      '1',
      '--work-dir',
      join(rig.cwd, 'slurm-jobs'),
    ]);
    let mostAtOnce = 0;
    const sample = async () => {
      const active = [...(await squeueStates()).values()].filter((s) => s === 'PENDING' || s === 'RUNNING' || s === 'CONFIGURING');
      mostAtOnce = Math.max(mostAtOnce, active.length);
    };

    // A job's worker is in the unit that waits for the gate, its first unit done: cancel that job.
    const started = await waitFor(
      'a worker job to reach the gated unit',
      async () => {
        await sample();
        const markers = (await readdir(rig.gateDir)).filter((f) => f.startsWith('started-'));
        return markers.length > 0 ? markers[0] : undefined;
      },
      180_000,
      100,
    );
    const cancelledJob = /^started-(\d+)-/.exec(started)![1]!;
    const taskId = /task-([0-9a-f-]{36})/.exec(await readFile(join(rig.gateDir, started), 'utf8'))![1]!;
    expect(taskIds).toContain(taskId);
    const before = await rig.unitResults(taskId);
    expect(before).toEqual([expect.objectContaining({ unitKey: 'first', ok: true })]);

    await run('scancel', [cancelledJob]);
    await waitFor(
      'the manager to see the job cancelled and the task back in the queue',
      async () => {
        await sample();
        const [view] = (await rig.managerViews()).filter((m) => m.name === name);
        const job = view?.jobs.find((j) => j.jobId === cancelledJob);
        return job?.state === 'CANCELLED';
      },
      120_000,
      100,
    );
    await writeFile(join(rig.gateDir, 'open'), '');

    await waitFor(
      'every task COMPLETE',
      async () => {
        await sample();
        const counts = await rig.statusCounts();
        if (counts.error > 0) throw new Error(`a task failed: ${JSON.stringify(counts)}`);
        return counts.complete === taskCount;
      },
      600_000,
      250,
    );
    expect(mostAtOnce).toBeLessThanOrEqual(2);

    // The cancelled attempt's finished unit was kept and not run again; the unit it was running ran once, elsewhere.
    const after = await rig.unitResults(taskId);
    const firstResults = after.filter((r) => r.unitKey === 'first');
    expect(firstResults).toEqual([{ unitKey: 'first', ok: true, attempt: before[0]!.attempt }]);
    expect(after.filter((r) => r.unitKey === 'wait')).toEqual([expect.objectContaining({ ok: true })]);
    expect(after.find((r) => r.unitKey === 'wait')!.attempt).toBeGreaterThan(before[0]!.attempt);
    expect(after.every((r) => r.ok)).toBe(true);

    // The workers really ran as SLURM jobs, each compute service named after its job.
    const view = await waitFor(
      'every job to have ended',
      async () => {
        const [found] = (await rig.managerViews()).filter((m) => m.name === name);
        return found !== undefined && found.jobs.every((j) => j.state !== 'PENDING' && j.state !== 'RUNNING') ? found : undefined;
      },
      180_000,
      250,
    );
    expect(view.jobs.length).toBeGreaterThanOrEqual(3);
    const jobIds = view.jobs.map((j) => j.jobId);
    const slurm = await squeueStates();
    for (const job of view.jobs) {
      const { stdout } = await run('scontrol', ['show', 'job', job.jobId]);
      expect(stdout).toContain(`JobName=${jobName}`);
      expect(stdout).toContain(`JobState=${job.state}`);
      expect(slurm.get(job.jobId)).toBe(job.state);
      expect(stdout).not.toContain(rig.computeToken);
    }
    expect(view.jobs.find((j) => j.jobId === cancelledJob)?.state).toBe('CANCELLED');
    expect(view.jobs.filter((j) => j.jobId !== cancelledJob).every((j) => j.state === 'COMPLETED')).toBe(true);
    const services = (await rig.serviceNames()).filter((n) => n.startsWith(`${name}-`));
    expect(services.sort()).toEqual(jobIds.map((id) => `${name}-slurm-${id}`).sort());

    manager.child.kill('SIGTERM');
    expect((await manager.exited).code).toBe(0);
    expect((await rig.managerViews()).find((m) => m.name === name)?.status).toBe('DEREGISTERED');
  }, 900_000);
});
