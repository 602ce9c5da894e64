import type { RestartBudget } from '../../../domain/restarts/restartPolicy.js';
import type { RestartPatternRecord, RestartPatternRepository } from '../../../domain/restarts/RestartPatternRepository.js';
import { countRestart, restartBudgets } from '../sql/restartBudgets.js';
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

  budgetsOf(taskId: string): Promise<RestartBudget[]> {
    return restartBudgets(this.db, taskId);
  }

  countRestart(taskId: string, patternId: string): Promise<void> {
    return countRestart(this.db, taskId, patternId);
  }
}
