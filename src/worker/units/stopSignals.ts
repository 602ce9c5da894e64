/**
 * Signals that ask a process to stop rather than report a fault: what a batch system sends every
 * process of a job it cancels or stops at its time limit (SLURM: SIGTERM, then SIGKILL after KillWait),
 * and a terminal's hang-up or Ctrl-C. A unit ended by one was interrupted, not failed. The worker
 * itself kills units only with SIGKILL.
 */
export const stopSignals: ReadonlySet<string> = new Set(['SIGTERM', 'SIGINT', 'SIGHUP']);
