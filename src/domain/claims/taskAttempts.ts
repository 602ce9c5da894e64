import type { UnitResultRecord } from '../results/UnitResultService.js';
import type { TaskStatus } from '../tasks/taskStatus.js';

/**
 * A task's attempts are its claims: the Claim row a claim statement inserts is the attempt's record,
 * so claiming writes nothing more for it. Whatever ends a claim writes how it ended in the same
 * statement (ClaimRepository.release), inside the transaction of the change that ends it.
 */
export const AttemptEndings = ['FINISHED', 'FAILED', 'EXPIRED', 'DEREGISTERED', 'RELEASED'] as const;
export type AttemptEnding = (typeof AttemptEndings)[number];

/**
 * How an attempt ends when its task leaves RUNNING for `to`: finished, failed, or given back. A
 * service that expired or deregistered is not told by the status (WAITING either way): the registry
 * says so itself.
 */
export function endingWhenTaskGoesTo(to: TaskStatus): AttemptEnding {
  if (to === 'COMPLETE') return 'FINISHED';
  if (to === 'ERROR') return 'FAILED';
  return 'RELEASED';
}

/** A claim as a task's history shows it (ClaimRepository.attemptsOf). */
export interface ClaimAttemptRow {
  claimId: string;
  taskId: string;
  fence: bigint;
  computeServiceId: string;
  computeServiceName: string;
  host: string | null;
  claimedAt: Date;
  releasedAt: Date | null;
  ending: AttemptEnding | null;
  /** The units the worker said it started (startUnit), the latest last, each once. */
  startedUnits: string[];
}

export interface TaskAttemptRecord {
  /** The claim's fence: UnitResult.attempt of the results it produced. */
  attempt: number;
  computeServiceId: string;
  computeServiceName: string;
  host: string | null;
  startedAt: Date;
  endedAt: Date | null;
  ending: AttemptEnding | null;
  /** The unit it started last and has sent no result for; null when none, or once the attempt ended. */
  runningUnit: string | null;
  /** The units it sent results for, in the order they arrived. */
  unitKeys: string[];
}

/**
 * One task's attempts, oldest first, with the units each sent results for: those are the results
 * recorded through its claim, so they are read with the task's results rather than stored twice.
 */
export function taskAttempts(claims: readonly ClaimAttemptRow[], results: readonly UnitResultRecord[]): TaskAttemptRecord[] {
  return [...claims]
    .sort((a, b) => (a.fence < b.fence ? -1 : a.fence > b.fence ? 1 : 0))
    .map((claim) => {
      const unitKeys = results
        .filter((result) => result.claimId === claim.claimId)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        .map((result) => result.unitKey);
      return {
        attempt: Number(claim.fence),
        computeServiceId: claim.computeServiceId,
        computeServiceName: claim.computeServiceName,
        host: claim.host,
        startedAt: claim.claimedAt,
        endedAt: claim.releasedAt,
        ending: claim.ending,
        runningUnit: claim.releasedAt === null ? runningUnit(claim.startedUnits, unitKeys) : null,
        unitKeys,
      };
    });
}

/** The unit started last that has no result yet: with several units running at once, the newest of them. */
function runningUnit(startedUnits: readonly string[], unitKeys: readonly string[]): string | null {
  const finished = new Set(unitKeys);
  for (let i = startedUnits.length - 1; i >= 0; i -= 1) if (!finished.has(startedUnits[i]!)) return startedUnits[i]!;
  return null;
}
