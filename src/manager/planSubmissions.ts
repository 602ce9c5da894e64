/** What the manager knows when it decides how many worker jobs to submit. */
export interface SubmissionInputs {
  /** Tasks its identity could claim now, for its protocols and scope. */
  claimable: number;
  /** Its jobs waiting to start: each will take up to `tasksPerJob` of the claimable tasks. */
  pending: number;
  /** Its jobs running now. */
  running: number;
  maxJobs: number;
  tasksPerJob: number;
}

/**
 * How many worker jobs to submit now: enough that the claimable tasks have a job to run them, counting
 * the jobs waiting to start as already taking their share, and never more than `maxJobs` jobs at once.
 * Nothing claimable, nothing submitted. Running jobs are not counted against the claimable tasks: their
 * workers are busy with tasks already claimed, and claim more only as they finish, so a queue that
 * grows while they work gets new jobs. Too many jobs cost little: a worker that finds nothing to claim
 * exits (`--exit-when-idle`), and each stops after `tasksPerJob` tasks (`--max-tasks`).
 */
export function planSubmissions({ claimable, pending, running, maxJobs, tasksPerJob }: SubmissionInputs): number {
  if (claimable <= 0) return 0;
  const wanted = Math.ceil(claimable / tasksPerJob) - pending;
  const room = maxJobs - pending - running;
  return Math.max(0, Math.min(wanted, room));
}
