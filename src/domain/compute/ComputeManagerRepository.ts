/** A worker job's state as its compute manager reports it: the states SLURM reports, which the other backends map to. */
export const managerJobStates = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'UNKNOWN'] as const;
export type ManagerJobState = (typeof managerJobStates)[number];

/** States a job does not leave. UNKNOWN: the backend no longer knows the job (it ended while nobody looked). */
export const endedJobStates: ReadonlySet<ManagerJobState> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'UNKNOWN']);

export interface ManagerJobRecord {
  jobId: string;
  state: ManagerJobState;
  reason: string | null;
  submittedAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  updatedAt: Date;
}

export interface ComputeManagerRow {
  id: string;
  identityId: string;
  name: string;
  backend: string;
  host: string | null;
  registeredAt: Date;
  lastHeartbeatAt: Date;
  deregisteredAt: Date | null;
  /** Newest submitted first. */
  jobs: ManagerJobRecord[];
}

export type ManagerJobReport = Omit<ManagerJobRecord, 'updatedAt'>;

/** Compute managers and the worker jobs they report. */
export interface ComputeManagerRepository {
  create(manager: { identityId: string; name: string; backend: string; host: string | null; at: Date }): Promise<ComputeManagerRow>;
  get(managerId: string): Promise<ComputeManagerRow | null>;
  /** Newest registered first; only the identity's when given; deregistered ones only with `includeDeregistered`. */
  list(filter: { identityId?: string | undefined; includeDeregistered: boolean }): Promise<ComputeManagerRow[]>;
  /** Records a heartbeat at `at`; false, with nothing recorded, for a deregistered manager. */
  heartbeat(managerId: string, at: Date): Promise<boolean>;
  /** Upserts each job by its id, as of `at`; jobs not named keep their last state. */
  upsertJobs(managerId: string, jobs: readonly ManagerJobReport[], at: Date): Promise<void>;
  /** Deletes all but the newest `keep` ended jobs of the manager. */
  pruneEnded(managerId: string, keep: number): Promise<void>;
  deregister(managerId: string, at: Date): Promise<void>;
  /** Managers not deregistered, with their jobs, for the metrics. */
  active(): Promise<ComputeManagerRow[]>;
}
