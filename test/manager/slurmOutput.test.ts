import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { batchScript } from '../../src/manager/backends/slurm/batchScript.js';
import { parseSacct, parseSbatchJobId, parseSqueue, slurmState } from '../../src/manager/backends/slurm/slurmOutput.js';

describe("reading SLURM's output", () => {
  test('sbatch --parsable: the id, with or without a cluster name; anything else is an error', () => {
    expect(parseSbatchJobId('4242\n')).toBe('4242');
    expect(parseSbatchJobId('4242;cluster1\n')).toBe('4242');
    expect(parseSbatchJobId('sbatch: warning: something\n77\n')).toBe('77');
    expect(() => parseSbatchJobId('sbatch: error: Batch job submission failed\n')).toThrow(/no job id/);
  });

  test('squeue rows by id: states mapped, times only when they happened, stray lines skipped', () => {
    const jobs = parseSqueue(
      [
        '12|PENDING|2026-12-04T22:50:00|2026-12-04T23:50:00|Priority',
        '13|RUNNING|2026-12-04T22:49:01|2026-12-04T22:50:01|None',
        '14|COMPLETED|2026-12-04T22:49:01|2026-12-04T22:49:30|None',
        '15|CANCELLED|2026-12-04T22:49:01|2026-12-04T22:49:04|None',
        '16|TIMEOUT|2026-12-04T22:49:01|2026-12-04T23:49:01|TimeLimit',
        '17|OUT_OF_MEMORY|2026-12-04T22:49:01|2026-12-04T22:49:02|OutOfMemory',
        '18|COMPLETING|2026-12-04T22:49:01|N/A|None',
        'squeue: warning: a line that is not a row',
        '19|FAILED|Unknown|Unknown|NonZeroExitCode',
      ].join('\n'),
    );
    expect(jobs.get('12')).toEqual({ state: 'PENDING', reason: 'Priority' });
    expect(jobs.get('13')).toEqual({ state: 'RUNNING', startedAt: new Date('2026-12-04T22:49:01') });
    expect(jobs.get('14')).toEqual({
      state: 'COMPLETED',
      startedAt: new Date('2026-12-04T22:49:01'),
      endedAt: new Date('2026-12-04T22:49:30'),
    });
    expect(jobs.get('15')?.state).toBe('CANCELLED');
    expect(jobs.get('16')).toMatchObject({ state: 'TIMEOUT', reason: 'TimeLimit' });
    expect(jobs.get('17')).toMatchObject({ state: 'FAILED', reason: 'OUT_OF_MEMORY: OutOfMemory' });
    expect(jobs.get('18')).toMatchObject({ state: 'RUNNING', reason: 'COMPLETING' });
    expect(jobs.get('19')).toEqual({ state: 'FAILED', reason: 'NonZeroExitCode' });
    expect(jobs.size).toBe(8);
  });

  test('sacct rows, and states as sacct writes them', () => {
    const jobs = parseSacct(
      '20|CANCELLED by 0|2026-12-04T22:49:01|2026-12-04T22:49:04\n21|COMPLETED|2026-12-04T22:49:01|2026-12-04T22:49:09\n',
    );
    expect(jobs.get('20')).toMatchObject({ state: 'CANCELLED' });
    expect(jobs.get('21')).toMatchObject({ state: 'COMPLETED', endedAt: new Date('2026-12-04T22:49:09') });
    expect(slurmState('RUNNING+')).toEqual({ state: 'RUNNING' });
    expect(slurmState('DEADLINE')).toEqual({ state: 'TIMEOUT', detail: 'DEADLINE' });
    expect(slurmState('SOMETHING_NEW')).toEqual({ state: 'UNKNOWN', detail: 'SOMETHING_NEW' });
  });
});

describe('the batch script of a worker job', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dagkeeper-batch-script-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('runs the worker command word for word, whatever the words hold, named after $SLURM_JOB_ID, with no secret in it', async () => {
    const tricky = `it's $HOME \`id\` "quoted" $(echo no) ; rm -rf / \\ end`;
    const script = batchScript({
      command: [process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', tricky, '--url', 'http://h:4000'],
      namePrefix: "mgr'1",
      env: { DAGKEEPER_TOKEN: 'secret-token-value' },
    });
    expect(script).not.toContain('secret-token-value');
    const path = join(dir, 'job.sh');
    await writeFile(path, script, { mode: 0o700 });
    const { stdout } = await promisify(execFile)('/bin/sh', [path], { env: { PATH: process.env.PATH, SLURM_JOB_ID: '4242' } });
    expect(JSON.parse(stdout)).toEqual([tricky, '--url', 'http://h:4000', '--name', "mgr'1-slurm-4242"]);
  });
});
