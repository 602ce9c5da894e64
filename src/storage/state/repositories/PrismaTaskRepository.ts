import type { TaskRepository } from '../../../domain/tasks/TaskRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaTaskRepository implements TaskRepository {
  constructor(protected readonly db: StateClient) {}
}
