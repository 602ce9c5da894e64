import type { RestartPatternRepository } from '../../../domain/restarts/RestartPatternRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaRestartPatternRepository implements RestartPatternRepository {
  constructor(protected readonly db: StateClient) {}
}
