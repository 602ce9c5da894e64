import type { RestartBudget } from '../../../domain/restarts/restartPolicy.js';
import type { RestartPatternRecord, RestartPatternRepository } from '../../../domain/restarts/RestartPatternRepository.js';
import type { StateClient } from './stateClient.js';

const recordSelect = { id: true, pattern: true, maxRetries: true } as const;

export class PrismaRestartPatternRepository implements RestartPatternRepository {
  constructor(protected readonly db: StateClient) {}

  addOrUpdate(networkId: string, pattern: string, maxRetries: number): Promise<RestartPatternRecord> {
    return this.db.restartPattern.upsert({
      where: { networkId_pattern: { networkId, pattern } },
      create: { networkId, pattern, maxRetries },
      update: { maxRetries },
      select: recordSelect,
    });
  }

  async remove(networkId: string, pattern: string): Promise<boolean> {
    const { count } = await this.db.restartPattern.deleteMany({ where: { networkId, pattern } });
    return count > 0;
  }

  ofNetwork(networkId: string): Promise<RestartPatternRecord[]> {
    return this.db.restartPattern.findMany({ where: { networkId }, select: recordSelect, orderBy: { createdAt: 'asc' } });
  }

  async budgetsOf(taskId: string): Promise<RestartBudget[]> {
    const patterns = await this.db.restartPattern.findMany({
      where: { network: { hub: { actions: { some: { taskId } } } } },
      include: { counts: { where: { taskId } } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return patterns.map((p) => ({ patternId: p.id, pattern: p.pattern, maxRetries: p.maxRetries, used: p.counts[0]?.count ?? 0 }));
  }

  async countRestart(taskId: string, patternId: string): Promise<void> {
    await this.db.taskRestartCount.upsert({
      where: { taskId_patternId: { taskId, patternId } },
      create: { taskId, patternId, count: 1 },
      update: { count: { increment: 1 } },
    });
  }
}
