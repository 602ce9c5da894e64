import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobStatus } from '../../jobs.js';
import type { Backend, SubmittedJob, WorkerJobSpec } from '../Backend.js';

export interface LocalOptions {
  /** Holds each job's output, `local-<id>.log`. */
  workDir: string;
  /** After SIGTERM (cancel, time limit, the manager exiting), how long before SIGKILL; SLURM's KillWait is 30 s. */
  killWaitMs?: number;
}

interface LocalJob {
  child: ChildProcess;
  startedAt: Date;
  endedAt?: Date;
  /** Why we signalled it, when we did: the state it ends in. */
  stoppedFor?: 'CANCELLED' | 'TIMEOUT';
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  exited: Promise<void>;
  timers: NodeJS.Timeout[];
}

/**
 * Worker jobs as child processes of the manager, for a laptop or a test. Each job leads a process group
 * of its own, and stopping one signals the group: SIGTERM (its worker stops claiming and gives its task
 * back, finished units kept), then SIGKILL after `killWaitMs`, as SLURM does at a time limit. The
 * worker's unit processes die with it (src/worker/units/dieWithWorker.ts). When the manager exits, so
 * do its jobs: close() stops every one and waits for it.
 */
export class LocalBackend implements Backend {
  readonly name = 'local';
  private readonly jobs = new Map<string, LocalJob>();
  private sequence = 0;

  constructor(private readonly options: LocalOptions) {}

  async submit(spec: WorkerJobSpec): Promise<SubmittedJob> {
    await mkdir(this.options.workDir, { recursive: true });
    this.sequence += 1;
    const jobId = String(this.sequence);
    const output = await open(join(this.options.workDir, `local-${process.pid}-${jobId}.log`), 'a', 0o600);
    const [program, ...args] = spec.command;
    if (program === undefined) throw new Error('a worker job needs a command');
    const child = spawn(program, [...args, '--name', `${spec.namePrefix}-local-${jobId}`], {
      detached: true,
      stdio: ['ignore', output.fd, output.fd],
      env: { ...process.env, ...spec.env },
    });
    const job: LocalJob = {
      child,
      startedAt: new Date(),
      timers: [],
      exited: new Promise((resolve) => {
        const done = (exit: { code: number | null; signal: NodeJS.Signals | null }) => {
          if (job.exit !== undefined) return;
          job.exit = exit;
          job.endedAt = new Date();
          for (const timer of job.timers) clearTimeout(timer);
          resolve();
        };
        child.once('exit', (code, signal) => done({ code, signal }));
        child.once('error', () => done({ code: null, signal: null }));
      }),
    };
    void job.exited.then(() => output.close());
    if (spec.timeMinutes !== undefined) {
      const limit = setTimeout(() => this.stop(job, 'TIMEOUT'), spec.timeMinutes * 60_000);
      limit.unref();
      job.timers.push(limit);
    }
    this.jobs.set(jobId, job);
    return { jobId, submittedAt: job.startedAt };
  }

  async poll(jobIds: readonly string[]): Promise<Map<string, JobStatus>> {
    return new Map(jobIds.map((id) => [id, this.statusOf(id)]));
  }

  async cancel(jobId: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job !== undefined) this.stop(job, 'CANCELLED');
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) this.stop(job, 'CANCELLED');
    await Promise.all([...this.jobs.values()].map((job) => job.exited));
  }

  private statusOf(jobId: string): JobStatus {
    const job = this.jobs.get(jobId);
    if (job === undefined) return { state: 'UNKNOWN', reason: 'not a job of this manager process' };
    if (job.exit === undefined) return { state: 'RUNNING', startedAt: job.startedAt };
    const how = job.exit.signal === null ? `exit code ${job.exit.code}` : `signal ${job.exit.signal}`;
    const ended = { startedAt: job.startedAt, endedAt: job.endedAt };
    if (job.stoppedFor !== undefined) return { state: job.stoppedFor, reason: how, ...ended };
    return job.exit.code === 0 ? { state: 'COMPLETED', ...ended } : { state: 'FAILED', reason: how, ...ended };
  }

  private stop(job: LocalJob, why: 'CANCELLED' | 'TIMEOUT'): void {
    if (job.exit !== undefined || job.stoppedFor !== undefined) return;
    job.stoppedFor = why;
    signalGroup(job.child, 'SIGTERM');
    const kill = setTimeout(() => signalGroup(job.child, 'SIGKILL'), this.options.killWaitMs ?? 30_000);
    kill.unref();
    job.timers.push(kill);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
