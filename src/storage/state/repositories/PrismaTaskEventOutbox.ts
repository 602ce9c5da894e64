import type { TaskEventOutbox } from '../../../domain/events/TaskEventOutbox.js';
import type { StateClient } from './stateClient.js';

export class PrismaTaskEventOutbox implements TaskEventOutbox {
  constructor(protected readonly db: StateClient) {}
}
