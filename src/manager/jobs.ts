/**
 * A worker job as a compute manager tracks it. The states are SLURM's main ones, which the other
 * backends map to; they match the API's ComputeManagerJobState.
 */
export type JobState = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMEOUT' | 'UNKNOWN';

/** States a job never leaves. UNKNOWN: the backend no longer knows the job (it ended while the manager was not looking). */
export const endedStates: ReadonlySet<JobState> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'UNKNOWN']);

export const isActive = (state: JobState): boolean => !endedStates.has(state);

/** What a backend says of a job now. */
export interface JobStatus {
  state: JobState;
  /** The backend's own words, when it says more than the state (a SLURM reason, an exit code). */
  reason?: string | undefined;
  startedAt?: Date | undefined;
  endedAt?: Date | undefined;
}

export interface TrackedJob extends JobStatus {
  jobId: string;
  submittedAt: Date;
}
