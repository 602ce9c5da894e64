/** A task's attempt as `tasks status` reads it (Task.attempts). */
export interface AttemptView {
  attempt: number;
  computeServiceName: string;
  host: string | null;
  startedAt: string;
  endedAt: string | null;
  ending: string | null;
  runningUnit: string | null;
  unitKeys: string[];
}

/** How many attempts and how each ended, oldest first: `3: EXPIRED, FAILED, running`. */
export function attemptsSummary(attempts: readonly AttemptView[]): string {
  if (attempts.length === 0) return '0';
  return `${attempts.length}: ${attempts.map((a) => (a.ending ?? 'running').toLowerCase()).join(', ')}`;
}

/** Where the open attempt runs and which unit: `node-7@rack3 (unit sim-2)`; empty when none is open. */
export function runningOn(attempts: readonly AttemptView[]): string {
  const open = attempts.find((a) => a.endedAt === null);
  if (open === undefined) return '';
  const where = open.host === null ? open.computeServiceName : `${open.computeServiceName}@${open.host}`;
  return open.runningUnit === null ? where : `${where} (unit ${open.runningUnit})`;
}
