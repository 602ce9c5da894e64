import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobStatus } from '../../jobs.js';
import type { Backend, SubmittedJob, WorkerJobSpec } from '../Backend.js';
import { runProgram } from '../runProgram.js';
import { batchScript } from './batchScript.js';
import { parseSacct, parseSbatchJobId, parseSqueue, sacctFields, squeueFormat } from './slurmOutput.js';

export interface SlurmOptions {
  /** SLURM job name of every job this manager submits: how squeue finds them. */
  jobName: string;
  /** Holds the batch script and the jobs' output (`<id>.log`); must be visible from the compute nodes. */
  workDir: string;
  partition?: string | undefined;
  account?: string | undefined;
  /** More sbatch options, each one argument as given (`--qos=high`, `--mem=4G`). */
  sbatchArgs?: readonly string[];
}

/**
 * Worker jobs as SLURM batch jobs: `sbatch --parsable` submits, `squeue -t all` reads the states of
 * jobs SLURM still holds (finished ones for MinJobAge, 300 s by default), `sacct` those it has let go
 * where accounting is on (UNKNOWN otherwise), `scancel` cancels (SIGTERM to every process of the job,
 * SIGKILL after KillWait). Every program runs through execFile with its arguments as given.
 */
export class SlurmBackend implements Backend {
  readonly name = 'slurm';

  constructor(private readonly options: SlurmOptions) {}

  async submit(spec: WorkerJobSpec): Promise<SubmittedJob> {
    const { workDir, jobName, partition, account, sbatchArgs = [] } = this.options;
    await mkdir(workDir, { recursive: true });
    const script = join(workDir, 'worker-job.sh');
    await writeFile(script, batchScript(spec), { mode: 0o700 });
    await chmod(script, 0o700);
    const args = [
      '--parsable',
      `--job-name=${jobName}`,
      `--output=${join(workDir, '%j.log')}`,
      ...(spec.timeMinutes === undefined ? [] : [`--time=${spec.timeMinutes}`]),
      ...(partition === undefined ? [] : [`--partition=${partition}`]),
      ...(account === undefined ? [] : [`--account=${account}`]),
      ...sbatchArgs,
      script,
    ];
    // sbatch hands its environment to the job (--export=ALL, its default): that is how the token travels.
    const stdout = await runProgram('sbatch', args, { env: { ...process.env, ...spec.env } });
    return { jobId: parseSbatchJobId(stdout), submittedAt: new Date() };
  }

  async poll(jobIds: readonly string[]): Promise<Map<string, JobStatus>> {
    const found = new Map<string, JobStatus>();
    if (jobIds.length === 0) return found;
    // By name rather than by id: squeue fails outright when one of several ids is unknown to it.
    const known = parseSqueue(
      await runProgram('squeue', ['-h', '-t', 'all', '--me', `--name=${this.options.jobName}`, '-o', squeueFormat]),
    );
    const missing = jobIds.filter((id) => !known.has(id));
    const accounted = missing.length === 0 ? new Map<string, JobStatus>() : await this.fromAccounting(missing);
    for (const id of jobIds) {
      found.set(
        id,
        known.get(id) ?? accounted.get(id) ?? { state: 'UNKNOWN', reason: 'SLURM no longer lists the job and has no accounting of it' },
      );
    }
    return found;
  }

  async cancel(jobId: string): Promise<void> {
    await runProgram('scancel', [jobId]);
  }

  /** SLURM jobs outlive the manager on purpose: their workers finish their tasks and exit when idle. */
  async close(): Promise<void> {}

  private async fromAccounting(jobIds: readonly string[]): Promise<Map<string, JobStatus>> {
    try {
      return parseSacct(await runProgram('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', sacctFields]));
    } catch {
      // Accounting is off on many small clusters ("Slurm accounting storage is disabled").
      return new Map();
    }
  }
}
