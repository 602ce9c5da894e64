import type { StoredTaskEvent, TaskEventOutbox } from '../../../domain/events/TaskEventOutbox.js';
import { latestTaskEventId, prunedThrough, readTaskEvents } from '../sql/taskEvents.js';
import type { StateClient } from './stateClient.js';

export class PrismaTaskEventOutbox implements TaskEventOutbox {
  constructor(protected readonly db: StateClient) {}

  latestId(): Promise<bigint> {
    return latestTaskEventId(this.db);
  }

  prunedThrough(): Promise<bigint> {
    return prunedThrough(this.db);
  }

  read(afterId: bigint, limit: number, filter: { taskId?: string } = {}): Promise<StoredTaskEvent[]> {
    return readTaskEvents(this.db, afterId, limit, filter);
  }
}
