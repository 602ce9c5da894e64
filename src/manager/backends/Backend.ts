import type { JobStatus } from '../jobs.js';

/** One worker job to start: `dagkeeper worker` with these options, as a compute service named for the job. */
export interface WorkerJobSpec {
  /** The program and arguments that run `dagkeeper worker` (absolute paths: the job may start elsewhere), without --name. */
  command: readonly string[];
  /** The compute service's name is this, a dash, the backend's name and the job's id (e.g. `hpc1-slurm-4242`). */
  namePrefix: string;
  /**
   * Environment the worker needs beyond the job's own: DAGKEEPER_URL and DAGKEEPER_TOKEN. Secrets go
   * here, never into the command line, which `ps` and the cluster's job listings show.
   */
  env: Readonly<Record<string, string>>;
  /** Wall-clock limit; at it the worker is sent SIGTERM and gives its task back, finished units kept. */
  timeMinutes?: number | undefined;
}

export interface SubmittedJob {
  jobId: string;
  submittedAt: Date;
}

/**
 * Where worker jobs run. The manager submits, polls and cancels through this alone, so an engine is one
 * class. Kubernetes, for instance, would fit as: submit = create a batch/v1 Job (one pod running the
 * worker image with the same arguments, the token from a Secret as DAGKEEPER_TOKEN,
 * activeDeadlineSeconds for the time limit); poll = the Jobs' status (active → RUNNING, succeeded →
 * COMPLETED, failed with reason DeadlineExceeded → TIMEOUT, otherwise FAILED, not found → UNKNOWN);
 * cancel = delete the Job with background propagation (its pod gets SIGTERM, then SIGKILL after the
 * grace period, as SLURM does).
 */
export interface Backend {
  /** Its name, as the manager registers it: slurm, local. */
  readonly name: string;
  submit(spec: WorkerJobSpec): Promise<SubmittedJob>;
  /** The state of each of these jobs now; a job the backend no longer knows is UNKNOWN. */
  poll(jobIds: readonly string[]): Promise<Map<string, JobStatus>>;
  /** Asks the job to stop (SIGTERM first: its worker gives its task back). */
  cancel(jobId: string): Promise<void>;
  /** The manager is exiting: end what would otherwise outlive it without a home (local processes). */
  close(): Promise<void>;
}
