import { systemClock } from '../Clock.js';
import type { Clock } from '../Clock.js';
import { badInput, DomainError, ErrorCode, forbidden, notFound } from '../errors.js';
import { checkId } from '../ids.js';
import { requireKind } from '../principal.js';
import type { Principal } from '../principal.js';
import type { StateAccess } from '../state/StateAccess.js';
import { checkLength, echo } from '../textLimits.js';
import type { ComputeManagerRow, ManagerJobReport, ManagerJobState } from './ComputeManagerRepository.js';
import { endedJobStates, managerJobStates } from './ComputeManagerRepository.js';
import type { ComputeServiceRegistry } from './ComputeServiceRegistry.js';

/** LIVE: heard from within the compute services' expiry; GONE: silent longer; DEREGISTERED: said it stopped. */
export type ComputeManagerStatus = 'LIVE' | 'GONE' | 'DEREGISTERED';

export interface ComputeManagerRecord extends ComputeManagerRow {
  status: ComputeManagerStatus;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$/;
const backendPattern = /^[a-z][a-z0-9_-]{0,31}$/;
const jobIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
const maxJobsPerReport = 1_000;
const maxReasonLength = 1_000;
const maxHostLength = 255;
/** Ended jobs kept per manager: enough to see what happened lately, never a growing table. */
const keptEndedJobs = 200;

/**
 * Compute managers: processes with a compute identity that submit worker jobs where the work is. A
 * manager registers, reports its jobs (each report is also its heartbeat) and deregisters. It holds
 * no claims, so silence costs nothing but its standing: one silent past the compute services' expiry,
 * counted by the same awake time (ComputeServiceRegistry.silentBefore), is shown GONE, and LIVE again
 * if it reports again.
 */
export class ComputeManagerRegistry {
  constructor(
    private readonly state: StateAccess,
    private readonly services: ComputeServiceRegistry,
    private readonly clock: Clock = systemClock,
  ) {}

  async register(actor: Principal, name: string, backend: string, host: string | null): Promise<ComputeManagerRecord> {
    requireKind(actor, 'compute');
    checkLength('name', name, 100);
    if (!namePattern.test(name))
      throw badInput(`"${echo(name)}" is not a valid compute manager name: letters, digits and _ . : @ -`, { field: 'name' });
    if (!backendPattern.test(backend))
      throw badInput(`"${echo(backend)}" is not a backend name: lower-case letters, digits, _ or -, at most 32`, { field: 'backend' });
    if (host !== null) checkLength('host', host, maxHostLength);
    const row = await this.state.computeManagers.create({ identityId: actor.identityId, name, backend, host, at: this.now() });
    return this.withStatus(row);
  }

  /** Records the manager's jobs as it sees them now; counts as its heartbeat. */
  async reportJobs(actor: Principal, managerId: string, jobs: readonly ManagerJobReport[]): Promise<ComputeManagerRecord> {
    const manager = await this.owned(actor, managerId);
    checkJobs(jobs);
    const at = this.now();
    const recorded = await this.state.transaction(async (tx) => {
      if (!(await tx.computeManagers.heartbeat(manager.id, at))) return false;
      await tx.computeManagers.upsertJobs(manager.id, jobs, at);
      await tx.computeManagers.pruneEnded(manager.id, keptEndedJobs);
      return true;
    });
    if (!recorded) throw managerGone(manager.id);
    return this.owned(actor, managerId);
  }

  async deregister(actor: Principal, managerId: string): Promise<ComputeManagerRecord> {
    const manager = await this.owned(actor, managerId);
    await this.state.computeManagers.deregister(manager.id, this.now());
    return this.owned(actor, managerId);
  }

  /** The caller's managers (every one, for an administrator), live and gone; deregistered ones on request. */
  async list(actor: Principal, filter: { includeDeregistered?: boolean } = {}): Promise<ComputeManagerRecord[]> {
    const rows = await this.state.computeManagers.list({
      identityId: actor.isAdmin ? undefined : actor.identityId,
      includeDeregistered: filter.includeDeregistered === true,
    });
    const silentBefore = this.services.silentBefore();
    return rows.map((row) => ({ ...row, status: statusOf(row, silentBefore) }));
  }

  /** What /metrics shows: managers not deregistered by status, and the jobs of the live ones by state. */
  async census(): Promise<{ managers: Record<'LIVE' | 'GONE', number>; jobs: Record<ManagerJobState, number> }> {
    const silentBefore = this.services.silentBefore();
    const managers = { LIVE: 0, GONE: 0 };
    const jobs = Object.fromEntries(managerJobStates.map((state) => [state, 0])) as Record<ManagerJobState, number>;
    for (const row of await this.state.computeManagers.active()) {
      const status = statusOf(row, silentBefore) === 'LIVE' ? 'LIVE' : 'GONE';
      managers[status] += 1;
      if (status === 'LIVE') for (const job of row.jobs) jobs[job.state] += 1;
    }
    return { managers, jobs };
  }

  private async owned(actor: Principal, managerId: string): Promise<ComputeManagerRecord> {
    requireKind(actor, 'compute');
    const row = await this.state.computeManagers.get(checkId('compute manager', managerId));
    if (row === null) throw notFound(`compute manager ${managerId}`);
    if (row.identityId !== actor.identityId) throw forbidden(`compute manager ${managerId} belongs to another identity`);
    return this.withStatus(row);
  }

  private withStatus(row: ComputeManagerRow): ComputeManagerRecord {
    return { ...row, status: statusOf(row, this.services.silentBefore()) };
  }

  private now(): Date {
    return new Date(this.clock.now());
  }
}

function statusOf(row: ComputeManagerRow, silentBefore: Date): ComputeManagerStatus {
  if (row.deregisteredAt !== null) return 'DEREGISTERED';
  return row.lastHeartbeatAt < silentBefore ? 'GONE' : 'LIVE';
}

function checkJobs(jobs: readonly ManagerJobReport[]): void {
  if (jobs.length > maxJobsPerReport)
    throw badInput(`a report names at most ${maxJobsPerReport} jobs`, { field: 'jobs', maxItems: maxJobsPerReport });
  const seen = new Set<string>();
  jobs.forEach((job, index) => {
    const field = (name: string) => ({ field: `jobs[${index}].${name}` });
    if (!jobIdPattern.test(job.jobId))
      throw badInput(`"${echo(job.jobId)}" is not a job id: letters, digits, _ . : -, at most 100`, field('jobId'));
    if (seen.has(job.jobId)) throw badInput(`job ${job.jobId} is named twice`, field('jobId'));
    seen.add(job.jobId);
    if (!(managerJobStates as readonly string[]).includes(job.state))
      throw badInput(`"${echo(job.state)}" is not a job state`, field('state'));
    if (job.reason !== null && job.reason.length > maxReasonLength)
      throw badInput(`a job's reason is at most ${maxReasonLength} characters`, field('reason'));
    if (job.startedAt !== null && job.startedAt < job.submittedAt)
      throw badInput('a job cannot start before it was submitted', field('startedAt'));
    if (job.endedAt !== null && !endedJobStates.has(job.state)) throw badInput(`a ${job.state} job has not ended`, field('endedAt'));
  });
}

export function managerGone(managerId: string): DomainError {
  return new DomainError(ErrorCode.COMPUTE_SERVICE_GONE, `compute manager ${managerId} is deregistered; register again`, {
    computeManagerId: managerId,
  });
}
