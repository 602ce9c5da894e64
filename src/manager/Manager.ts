import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../client/ApiClient.js';
import type { Logger } from '../observability/logger.js';
import type { Backend, WorkerJobSpec } from './backends/Backend.js';
import { isActive } from './jobs.js';
import type { TrackedJob } from './jobs.js';
import type { ManagerApi } from './ManagerApi.js';
import { planSubmissions } from './planSubmissions.js';

export interface ManagerOptions {
  api: ManagerApi;
  backend: Backend;
  name: string;
  host: string;
  /** Protocols whose claimable tasks it watches (the workers claim for the same ones); null: all. */
  protocols: readonly string[] | null;
  /** A scope pattern narrowing what it watches; null: every scope of its identity. */
  scope: string | null;
  maxJobs: number;
  tasksPerJob: number;
  /** Wall-clock limit of each job. */
  timeMinutes?: number | undefined;
  /** Seconds between looks at the work and the jobs (at most a quarter of the compute expiry, so it stays LIVE). */
  pollSeconds: number;
  /** The worker's command and environment (URL and token), without --name. */
  worker: Pick<WorkerJobSpec, 'command' | 'env'>;
  log: Logger;
  /** Where it reads the time for the jobs it records; tests pass their own. */
  clock?: { now(): number };
}

/**
 * A compute manager: registers, then every poll period reads the backend's view of its jobs and the
 * claimable work, submits what planSubmissions says, and reports its jobs to the server (its
 * heartbeat). stop() (SIGTERM/SIGINT) ends the loop, lets the backend end what would outlive it
 * (local processes; SLURM jobs finish their tasks and exit when idle), reports and deregisters.
 */
export class Manager {
  private managerId: string | undefined;
  private stopping = false;
  private readonly wake = new AbortController();
  private readonly jobs = new Map<string, TrackedJob>();
  /** Jobs whose latest state the server has not heard yet. */
  private readonly unreported = new Set<string>();
  private readonly clock: { now(): number };

  constructor(private readonly options: ManagerOptions) {
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  stop(): void {
    this.stopping = true;
    this.wake.abort();
  }

  /** The jobs it tracks now (ended ones until reported). */
  get trackedJobs(): TrackedJob[] {
    return [...this.jobs.values()];
  }

  async run(): Promise<void> {
    const { api, backend, log } = this.options;
    const expirySeconds = await api.expirySeconds();
    const tickSeconds = Math.min(this.options.pollSeconds, Math.max(0.25, expirySeconds / 4));
    this.managerId = await api.register(this.options.name, backend.name, this.options.host);
    log.info(
      { computeManagerId: this.managerId, backend: backend.name, maxJobs: this.options.maxJobs, tickSeconds },
      'compute manager registered',
    );
    try {
      while (!this.stopping) {
        await this.tick().catch((error: unknown) => log.warn({ err: error }, 'manager round failed; trying again next round'));
        await sleep(tickSeconds * 1000, undefined, { signal: this.wake.signal }).catch(() => undefined);
      }
    } finally {
      await backend.close().catch((error: unknown) => log.warn({ err: error }, 'could not stop the backend'));
      await this.refreshStates().catch(() => undefined);
      await this.report().catch(() => undefined);
      await api.deregister(this.managerId).catch((error: unknown) => log.warn({ err: error }, 'could not deregister'));
      log.info({ computeManagerId: this.managerId }, 'compute manager stopped');
    }
  }

  /** One round: the jobs' states, the work, submissions, the report. */
  async tick(): Promise<void> {
    await this.refreshStates();
    if (this.stopping) return;
    const counts = await this.options.api.claimable(this.options.protocols, this.options.scope);
    const claimable = counts.reduce((sum, c) => sum + c.count, 0);
    const active = [...this.jobs.values()].filter((job) => isActive(job.state));
    const toSubmit = planSubmissions({
      claimable,
      pending: active.filter((job) => job.state === 'PENDING').length,
      running: active.filter((job) => job.state === 'RUNNING').length,
      maxJobs: this.options.maxJobs,
      tasksPerJob: this.options.tasksPerJob,
    });
    for (let i = 0; i < toSubmit && !this.stopping; i += 1) {
      try {
        await this.submit();
      } catch (error) {
        // Tried again next round; the log says why (sbatch's own words).
        this.options.log.error({ err: error }, 'could not submit a worker job');
        break;
      }
    }
    await this.report();
  }

  private async submit(): Promise<void> {
    const { backend, worker, name, timeMinutes, log } = this.options;
    const submitted = await backend.submit({ ...worker, namePrefix: name, timeMinutes });
    this.jobs.set(submitted.jobId, { jobId: submitted.jobId, state: 'PENDING', submittedAt: new Date(this.clock.now()) });
    this.unreported.add(submitted.jobId);
    log.info({ jobId: submitted.jobId, backend: backend.name }, 'submitted a worker job');
  }

  private async refreshStates(): Promise<void> {
    const watched = [...this.jobs.values()].filter((job) => isActive(job.state)).map((job) => job.jobId);
    if (watched.length === 0) return;
    const states = await this.options.backend.poll(watched);
    for (const [jobId, status] of states) {
      const job = this.jobs.get(jobId);
      if (job === undefined) continue;
      const changed = job.state !== status.state || job.reason !== status.reason;
      const startedAt = status.startedAt ?? job.startedAt ?? (status.state !== 'PENDING' ? new Date(this.clock.now()) : undefined);
      const endedAt = isActive(status.state) ? undefined : (status.endedAt ?? job.endedAt ?? new Date(this.clock.now()));
      Object.assign(job, { state: status.state, reason: status.reason, startedAt: clampAfter(startedAt, job.submittedAt), endedAt });
      if (changed) {
        this.unreported.add(jobId);
        this.options.log.info({ jobId, state: status.state, reason: status.reason }, 'worker job changed state');
      }
    }
  }

  /** Sends the active jobs and those that changed since the last report; ended jobs, once sent, are forgotten. */
  private async report(): Promise<void> {
    const managerId = this.managerId;
    if (managerId === undefined) return;
    const jobs = [...this.jobs.values()].filter((job) => isActive(job.state) || this.unreported.has(job.jobId));
    try {
      await this.options.api.report(managerId, jobs);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'COMPUTE_SERVICE_GONE') || this.stopping) throw error;
      // Deregistered by someone else: register anew and report there.
      this.managerId = await this.options.api.register(this.options.name, this.options.backend.name, this.options.host);
      this.options.log.warn({ computeManagerId: this.managerId }, 'the server had this manager deregistered; registered again');
      await this.options.api.report(this.managerId, jobs);
    }
    for (const job of jobs) {
      this.unreported.delete(job.jobId);
      if (!isActive(job.state)) this.jobs.delete(job.jobId);
    }
  }
}

/** A backend's clock may run a little behind the manager's: a job never starts before it was submitted. */
function clampAfter(date: Date | undefined, earliest: Date): Date | undefined {
  return date === undefined ? undefined : new Date(Math.max(date.getTime(), earliest.getTime()));
}
