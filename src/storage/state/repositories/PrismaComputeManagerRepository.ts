import type {
  ComputeManagerRepository,
  ComputeManagerRow,
  ManagerJobRecord,
  ManagerJobReport,
  ManagerJobState,
} from '../../../domain/compute/ComputeManagerRepository.js';
import { endedJobStates } from '../../../domain/compute/ComputeManagerRepository.js';
import type { StateClient } from './stateClient.js';

/** A manager's jobs, newest submitted first. */
const withJobs = { jobs: { orderBy: [{ submittedAt: 'desc' as const }, { jobId: 'desc' as const }] } };

interface StoredManager extends Omit<ComputeManagerRow, 'jobs'> {
  jobs: Array<Omit<ManagerJobRecord, 'state'> & { state: string; managerId: string }>;
}

const toRow = (manager: StoredManager): ComputeManagerRow => ({
  ...manager,
  // Only the domain writes the column, from its list of states.
  jobs: manager.jobs.map(({ managerId: _managerId, ...job }) => ({ ...job, state: job.state as ManagerJobState })),
});

export class PrismaComputeManagerRepository implements ComputeManagerRepository {
  constructor(protected readonly db: StateClient) {}

  async create({
    at,
    ...manager
  }: {
    identityId: string;
    name: string;
    backend: string;
    host: string | null;
    at: Date;
  }): Promise<ComputeManagerRow> {
    return toRow(await this.db.computeManager.create({ data: { ...manager, registeredAt: at, lastHeartbeatAt: at }, include: withJobs }));
  }

  async get(managerId: string): Promise<ComputeManagerRow | null> {
    const manager = await this.db.computeManager.findUnique({ where: { id: managerId }, include: withJobs });
    return manager === null ? null : toRow(manager);
  }

  async list(filter: { identityId?: string | undefined; includeDeregistered: boolean }): Promise<ComputeManagerRow[]> {
    const managers = await this.db.computeManager.findMany({
      where: {
        ...(filter.identityId === undefined ? {} : { identityId: filter.identityId }),
        ...(filter.includeDeregistered ? {} : { deregisteredAt: null }),
      },
      include: withJobs,
      orderBy: [{ registeredAt: 'desc' }, { id: 'desc' }],
    });
    return managers.map(toRow);
  }

  async heartbeat(managerId: string, at: Date): Promise<boolean> {
    const { count } = await this.db.computeManager.updateMany({
      where: { id: managerId, deregisteredAt: null },
      data: { lastHeartbeatAt: at },
    });
    return count > 0;
  }

  async upsertJobs(managerId: string, jobs: readonly ManagerJobReport[], at: Date): Promise<void> {
    for (const job of jobs) {
      const data = { ...job, updatedAt: at };
      await this.db.computeManagerJob.upsert({
        where: { managerId_jobId: { managerId, jobId: job.jobId } },
        create: { managerId, ...data },
        update: data,
      });
    }
  }

  async pruneEnded(managerId: string, keep: number): Promise<void> {
    const surplus = await this.db.computeManagerJob.findMany({
      where: { managerId, state: { in: [...endedJobStates] } },
      orderBy: [{ submittedAt: 'desc' }, { jobId: 'desc' }],
      skip: keep,
      select: { jobId: true },
    });
    if (surplus.length > 0)
      await this.db.computeManagerJob.deleteMany({ where: { managerId, jobId: { in: surplus.map((j) => j.jobId) } } });
  }

  async deregister(managerId: string, at: Date): Promise<void> {
    await this.db.computeManager.updateMany({ where: { id: managerId, deregisteredAt: null }, data: { deregisteredAt: at } });
  }

  async active(): Promise<ComputeManagerRow[]> {
    return (await this.db.computeManager.findMany({ where: { deregisteredAt: null }, include: withJobs })).map(toRow);
  }
}
